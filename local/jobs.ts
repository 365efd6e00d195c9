import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { JobDef } from '../functions/defs.js';
import { config } from '../lib/config.js';
import { registerLocalFunction } from '../lib/invoke.js';

// Under `npm start` the jobs run in-process: each schedule job on a timer (EventBridge when
// deployed). A run never overlaps the previous run of the same job.

type JobHandler = (event: unknown, context: Context) => Promise<unknown>;

const loadHandler = (root: string, job: JobDef) =>
  import(pathToFileURL(join(root, job.entry)).href).then((m) => m.handler as JobHandler);

/** Functions other functions invoke (Lambda Invoke deployed) are called in-process here. */
export async function registerInvokeJobs(root: string, jobs: JobDef[]): Promise<void> {
  for (const job of jobs.filter((j) => j.trigger === 'invoke')) {
    const handler = await loadHandler(root, job);
    registerLocalFunction(job.id, (payload) => handler(payload, jobContext(job)));
  }
}

export function startJobs(root: string, jobs: JobDef[], refreshIntervalSeconds: number): () => Promise<void> {
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<unknown>>();
  let stopped = false;

  for (const job of jobs.filter((j) => j.trigger === 'schedule')) {
    const load = loadHandler(root, job);
    let busy = false;
    const tick = async () => {
      if (busy || stopped) return;
      busy = true;
      const run = load
        .then((handler) => handler(scheduledEvent(job), jobContext(job)))
        .catch((err: unknown) => console.error(`job ${job.id} failed: ${(err as Error).message}`))
        .finally(() => {
          busy = false;
          running.delete(run);
        });
      running.add(run);
    };
    timers.push(setInterval(tick, localPeriodSeconds(job, refreshIntervalSeconds) * 1000));
  }

  return async () => {
    stopped = true;
    for (const t of timers) clearInterval(t);
    await Promise.allSettled([...running]);
  };
}

/**
 * A job may name its own local period (the webhook sweeper, every minute deployed, is here also
 * the persisted queue's worker, polled every WEBHOOK_SWEEP_SECONDS).
 */
function localPeriodSeconds(job: JobDef, refreshIntervalSeconds: number): number {
  if (job.localEverySecondsFrom) return config[job.localEverySecondsFrom];
  return job.everySeconds ?? refreshIntervalSeconds;
}

function scheduledEvent(job: JobDef) {
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    time: new Date().toISOString(),
    resources: [`local:${job.id}`],
    detail: {},
  };
}

export function jobContext(job: JobDef): Context {
  const deadline = Date.now() + job.timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: job.id,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${job.id}`,
    memoryLimitInMB: '512',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/local/${job.id}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
