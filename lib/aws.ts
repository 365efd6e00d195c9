import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { config } from './config.js';
import { tracer } from './observability.js';

// AWS clients, made once per process (a warm Lambda reuses them and their connections).

const endpoint = config.DYNAMODB_ENDPOINT;
const isLoopback =
  endpoint !== undefined && /^https?:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?/.test(endpoint);

const dynamo = tracer.captureAWSv3Client(
  new DynamoDBClient({
    ...(endpoint ? { endpoint } : {}),
    // DynamoDB Local accepts any credentials; don't make a laptop user configure AWS for it.
    ...(isLoopback
      ? {
          region: config.AWS_REGION ?? 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {}),
  }),
);

export const ddb = DynamoDBDocumentClient.from(dynamo, {
  marshallOptions: { removeUndefinedValues: true },
});
export const dynamoClient = dynamo;

// Marked pure so that a bundle whose code never uses a client leaves its SDK package out.
export const kms = /* @__PURE__ */ tracer.captureAWSv3Client(/* @__PURE__ */ new KMSClient({}));
export const tableName = config.TABLE_NAME;
