import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../aws.js';
import { config } from '../config.js';
import { logger } from '../observability.js';
import { INDEXES, keys, REFRESH_SHARDS } from '../store/keys.js';
import { refresh } from './engine.js';

// The scheduled refresh: read what is due from the sparse refresh index, shard by shard (a Query
// whose cost grows with the tokens due, not with the table), and refresh with bounded concurrency.

export interface RefreshRunResult {
  due: number;
  refreshed: number;
  failed: number;
  skipped: number;
}

/** Refreshes every token due by `now`, stopping early when `remainingMs()` runs low. */
export async function refreshDue(remainingMs: () => number, now = new Date()): Promise<RefreshRunResult> {
  const result: RefreshRunResult = { due: 0, refreshed: 0, failed: 0, skipped: 0 };
  const queue: { tenantId: string; tokenId: string }[] = [];
  for (let shard = 0; shard < REFRESH_SHARDS; shard++) {
    let start: Record<string, unknown> | undefined;
    do {
      const out = await ddb.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: INDEXES.refreshDue,
          KeyConditionExpression: 'GSI2PK = :pk AND GSI2SK <= :now',
          ExpressionAttributeValues: {
            ':pk': keys.refreshShard(shard).GSI2PK,
            ':now': `${now.toISOString()}#~`,
          },
          ProjectionExpression: 'tenant_id, id',
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? [])
        queue.push({ tenantId: item.tenant_id as string, tokenId: item.id as string });
      start = out.LastEvaluatedKey;
    } while (start && remainingMs() > 30_000);
  }
  result.due = queue.length;

  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      if (remainingMs() < 20_000) {
        result.skipped++;
        continue;
      }
      try {
        const out = await refresh(next.tenantId, next.tokenId, 'scheduled');
        if (out.refreshed) result.refreshed++;
        else if (out.failure) result.failed++;
        else result.skipped++;
      } catch (err) {
        // A deleted token or a lost race: the next run sees the index as it is then.
        result.failed++;
        logger.warn('Scheduled refresh errored', { token_id: next.tokenId, error: (err as Error).name });
      }
    }
  };
  await Promise.all(Array.from({ length: config.REFRESH_CONCURRENCY }, worker));
  logger.info('Scheduled refresh run', { ...result });
  return result;
}
