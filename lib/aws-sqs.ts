import { SQSClient } from '@aws-sdk/client-sqs';
import { tracer } from './observability.js';

// The webhook queue's client, made once per process; apart from lib/aws.ts so that only the
// functions that send to the queue bundle the SQS SDK.
export const sqs = /* @__PURE__ */ tracer.captureAWSv3Client(/* @__PURE__ */ new SQSClient({}));
