import { config } from '../config.js';
import { logger } from '../observability.js';
import * as store from '../store/webhooks.js';
import { attemptDelivery } from './deliver.js';
import { fanOut, handOff, QUEUED_RECHECK_MS, queueConfigured, sendToQueue } from './dispatch.js';

// The sweeper (every minute deployed, every WEBHOOK_SWEEP_SECONDS locally): fans out events whose
// fast path did not run (a crash between commit and dispatch), and (re)queues deliveries that are
// due. Under `npm start` there is no queue: the due index in DynamoDB Local is the persisted queue,
// and the sweeper performs the due attempts itself. Every step is idempotent, so overlapping
// sweepers (or a sweeper and the fast path) never double a delivery.

const PAGE = 50;
const LOCAL_CONCURRENCY = 8;

/** How old a pending event must be before the sweeper takes it from the fast path. */
export const staleEventMs = () => Math.min(60, 5 * config.WEBHOOK_SWEEP_SECONDS) * 1000;

export interface SweepStats {
  events: number;
  queued: number;
  attempted: number;
}

export async function sweep(deadline = Date.now() + 50_000): Promise<SweepStats> {
  const stats: SweepStats = { events: 0, queued: 0, attempted: 0 };
  const now = Date.now();

  const cutoff = new Date(now - staleEventMs()).toISOString();
  for (const shard of store.SHARDS) {
    while (Date.now() < deadline) {
      const events = await store.pendingEvents(shard, cutoff, PAGE);
      if (events.length === 0) break;
      stats.events += events.length;
      await handOff(await fanOut(events));
      // A failed event moved to the back of the line; a full page means there may be more.
      if (events.length < PAGE) break;
    }
  }

  const before = new Date(now).toISOString();
  for (const shard of store.SHARDS) {
    if (queueConfigured()) {
      // Claim each due delivery by moving its due key forward, then queue it.
      while (Date.now() < deadline) {
        const due = await store.dueDeliveries(shard, before, PAGE);
        // One delivery at a time: a claim that fails leaves that delivery due, not the page.
        const claimed = await Promise.allSettled(
          due.map(async (d) =>
            (await store.moveDueKey(d.ref, d.dueKey, new Date(now + QUEUED_RECHECK_MS).toISOString()))
              ? d.ref
              : null,
          ),
        );
        const refs = claimed.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
        stats.queued += (await sendToQueue(refs)).length;
        if (due.length < PAGE || refs.length === 0) break;
      }
    } else {
      // One page per shard per run: an attempt that cannot run yet stays in the index for the next run.
      const due = await store.dueDeliveries(shard, before, PAGE);
      for (let i = 0; i < due.length && Date.now() < deadline; i += LOCAL_CONCURRENCY) {
        const batch = due.slice(i, i + LOCAL_CONCURRENCY);
        const results = await Promise.allSettled(batch.map((d) => attemptDelivery(d.ref)));
        for (const r of results) {
          if (r.status === 'rejected')
            logger.error('Webhook attempt failed', { error: (r.reason as Error).name });
          else if (r.value.outcome !== 'skipped' && r.value.outcome !== 'busy') stats.attempted++;
        }
      }
    }
  }
  if (stats.events + stats.queued + stats.attempted > 0) logger.info('Webhook sweep', { ...stats });
  return stats;
}
