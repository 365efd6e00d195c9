import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { logger, metrics, tracer } from '../../lib/observability.js';
import { refreshDue } from '../../lib/refresh/job.js';

// Every REFRESH_INTERVAL_SECONDS (EventBridge deployed, a timer under `npm start`).
export const handler = middy<ScheduledEvent, unknown, Error, Context>()
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer))
  .use(logMetrics(metrics))
  .handler(async (_event, context) => refreshDue(() => context.getRemainingTimeInMillis()));
