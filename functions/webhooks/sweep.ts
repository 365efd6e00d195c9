import type { ScheduledEvent } from 'aws-lambda';
import { job } from '../../lib/jobs.js';
import { sweep } from '../../lib/webhooks/sweep.js';

// Every minute (EventBridge) deployed; every WEBHOOK_SWEEP_SECONDS under `npm start`.
export const handler = job<ScheduledEvent, unknown>(async (_event, context) =>
  sweep(Date.now() + context.getRemainingTimeInMillis() - 5_000),
);
