import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { job } from '../../lib/jobs.js';
import { processQueueBatch } from '../../lib/webhooks/worker.js';

// The webhook queue's consumer: one attempt per message; failed items go back (and, after
// repeated failures, to the dead-letter queue).
export const handler = job<SQSEvent, SQSBatchResponse>(async (event) => processQueueBatch(event));
