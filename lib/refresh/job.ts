import { config } from '../config.js';
import { logger } from '../observability.js';
import { REFRESH_SHARDS } from '../store/keys.js';
import { dueTokens } from '../store/tokens.js';
import { recordJobError, refresh } from './engine.js';
import { FairQueue } from './fair-queue.js';

// The scheduled refresh: read what is due from the sparse refresh index (a Query per shard whose
// cost grows with the tokens due, not with the table), then refresh with bounded concurrency in a
// fair order: round robin across tenants, each with a share per run (see FairQueue).

/** Due index entries read per run, at most (per shard: this / REFRESH_SHARDS), oldest first. */
export const MAX_DUE_READ = 100_000;

export interface RefreshRunResult {
  due: number;
  refreshed: number;
  failed: number;
  /** Not refreshed in this run: nothing to do after all, or no time left. */
  skipped: number;
  /** Beyond their tenant's share of this run: left due for the next run. */
  deferred: number;
}

function readShard(shard: number, now: Date, remainingMs: () => number) {
  return dueTokens(shard, now, MAX_DUE_READ / REFRESH_SHARDS, () => remainingMs() > 30_000);
}

/** Refreshes the tokens due by `now`, fairly across tenants, stopping early when `remainingMs()` runs low. */
export async function refreshDue(remainingMs: () => number, now = new Date()): Promise<RefreshRunResult> {
  const shards = await Promise.all(
    Array.from({ length: REFRESH_SHARDS }, (_, shard) => readShard(shard, now, remainingMs)),
  );
  // Oldest due first across shards, so each tenant's share takes its most overdue tokens.
  const due = shards.flat().sort((a, b) => (a.due < b.due ? -1 : a.due > b.due ? 1 : 0));
  const queue = new FairQueue(config.REFRESH_TENANT_SHARE, config.REFRESH_CONCURRENCY);
  queue.add(due);
  const result: RefreshRunResult = {
    due: due.length,
    refreshed: 0,
    failed: 0,
    skipped: 0,
    deferred: queue.deferred,
  };

  const worker = async () => {
    while (remainingMs() >= 20_000) {
      const next = queue.next();
      if (!next) break;
      try {
        const out = await refresh(next.tenantId, next.tokenId, 'scheduled');
        if (out.refreshed) result.refreshed++;
        else if (out.failure) result.failed++;
        else result.skipped++;
      } catch (err) {
        // A storage error, a deleted token, a lost race. A token still due gets a recorded failure
        // and a backoff, so the next run does not retry it at once.
        result.failed++;
        await recordJobError(next.tenantId, next.tokenId, err).catch((again: unknown) =>
          logger.warn('Scheduled refresh errored', {
            tenant_id: next.tenantId,
            token_id: next.tokenId,
            error: (err as Error)?.name,
            record_error: (again as Error)?.name,
          }),
        );
      } finally {
        queue.done(next);
      }
    }
  };
  await Promise.all(Array.from({ length: config.REFRESH_CONCURRENCY }, worker));
  result.skipped += queue.size;
  logger.info('Scheduled refresh run', { ...result });
  return result;
}
