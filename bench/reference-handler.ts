import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { keys } from '../lib/store/keys.js';

// The cold-start yardstick (bench/cold-start.ts): a function that does one GetItem of the token
// GetToken reads, with the same SDK and document client, bundled as the stack bundles functions.
// No auth, no decryption, no middleware, no logging: what any DynamoDB-reading Lambda pays.

const endpoint = process.env.DYNAMODB_ENDPOINT;
const ddb = DynamoDBDocumentClient.from(
  new DynamoDBClient(
    endpoint
      ? { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {},
  ),
);

export async function handler(event: APIGatewayProxyEventV2) {
  const { tenant = '', id = '' } = event.pathParameters ?? {};
  const { Item } = await ddb.send(
    new GetCommand({ TableName: process.env.TABLE_NAME, Key: keys.token(tenant, id) }),
  );
  if (!Item) return { statusCode: 404 };
  return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(Item) };
}
