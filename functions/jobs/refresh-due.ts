import type { ScheduledEvent } from 'aws-lambda';
import { job } from '../../lib/jobs.js';
import { refreshDue } from '../../lib/refresh/job.js';

// Every REFRESH_INTERVAL_SECONDS (EventBridge deployed, a timer under `npm start`).
export const handler = job<ScheduledEvent, unknown>(async (_event, context) =>
  refreshDue(() => context.getRemainingTimeInMillis()),
);
