import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { logger } from '../observability.js';
import { attemptDelivery } from './deliver.js';
import { MAX_QUEUE_DELAY_SECONDS, sendToQueue } from './dispatch.js';

// The queue consumer. A delivery's own failures (non-2xx, timeouts) are handled by its retry
// schedule, not by SQS: a message fails (and is redelivered, then dead-lettered) only when the
// attempt could not be run or recorded at all, e.g. DynamoDB unavailable.

const message = z.object({
  v: z.literal(1),
  tenant_id: z.string().min(1),
  webhook_id: z.string().min(1),
  delivery_id: z.string().min(1),
});

export async function processQueueBatch(event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      let ref: z.infer<typeof message>;
      try {
        ref = message.parse(JSON.parse(record.body));
      } catch {
        logger.error('Malformed webhook queue message', { message_id: record.messageId });
        failures.push({ itemIdentifier: record.messageId });
        return;
      }
      try {
        const result = await attemptDelivery(ref);
        // Early (SQS delays are capped, and whole seconds): send it again for the rest of the wait.
        if (result.outcome === 'not_due' && result.next_attempt_at) {
          const wait = (Date.parse(result.next_attempt_at) - Date.now()) / 1000;
          // Further out, the sweeper queues it when it is due.
          if (wait <= MAX_QUEUE_DELAY_SECONDS) await sendToQueue([ref], wait);
        }
      } catch (err) {
        logger.error('Webhook attempt could not run', {
          message_id: record.messageId,
          delivery_id: ref.delivery_id,
          error: (err as Error).name,
        });
        failures.push({ itemIdentifier: record.messageId });
      }
    }),
  );
  return { batchItemFailures: failures };
}
