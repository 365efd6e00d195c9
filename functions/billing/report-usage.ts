import type { ScheduledEvent } from 'aws-lambda';
import { reportUsage } from '../../lib/billing/api.js';
import { job } from '../../lib/jobs.js';

// Every 5 minutes (EventBridge deployed, a timer under `npm start`); does nothing with billing off.
export const handler = job<ScheduledEvent, unknown>(async (_event, context) =>
  reportUsage(() => context.getRemainingTimeInMillis()),
);
