import type { ScheduledEvent } from 'aws-lambda';
import { job } from '../../lib/jobs.js';
import { reencryptDue } from '../../lib/keyring/reencrypt.js';

// Every minute (EventBridge) deployed; every DATA_KEY_JOB_SECONDS under `npm start`.
export const handler = job<ScheduledEvent, unknown>(async (_event, context) =>
  reencryptDue(Date.now() + context.getRemainingTimeInMillis() - 5_000),
);
