import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../aws.js';
import { NotFoundError } from '../errors.js';
import { decodeCursor, encodeCursor } from './cursor.js';

// SDK errors are translated where the store calls DynamoDB; nothing outside lib/store sees them.

export function isConditionFailure(err: unknown): boolean {
  return (
    err instanceof ConditionalCheckFailedException ||
    (err as Error)?.name === 'ConditionalCheckFailedException'
  );
}

/**
 * For a cancelled transaction, the indexes of the items whose condition failed, in the order the
 * items were given; `null` if the error is not a condition failure.
 */
export function failedConditions(err: unknown): number[] | null {
  if (
    !(err instanceof TransactionCanceledException) &&
    (err as Error)?.name !== 'TransactionCanceledException'
  ) {
    return null;
  }
  const reasons = (err as TransactionCanceledException).CancellationReasons ?? [];
  const failed = reasons.flatMap((r, i) => (r.Code === 'ConditionalCheckFailed' ? [i] : []));
  return failed.length > 0 ? failed : null;
}

/** A transaction cancelled because another one touched the same item at the same time. */
export function isTransactionConflict(err: unknown): boolean {
  if ((err as Error)?.name !== 'TransactionCanceledException') return false;
  return ((err as TransactionCanceledException).CancellationReasons ?? []).some(
    (r) => r.Code === 'TransactionConflict',
  );
}

/**
 * Runs a transaction, retrying (a few times, with jitter) when it collides with a concurrent one on
 * a shared item such as a counter; the SDK does not retry those.
 */
export async function withConflictRetry<T>(run: () => Promise<T>, attempts = 6): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await run();
    } catch (err) {
      if (i >= attempts || !isTransactionConflict(err)) throw err;
      await new Promise((r) => setTimeout(r, 10 * 2 ** i * (0.5 + Math.random())));
    }
  }
}

/** An ISO timestamp `seconds` from now, as epoch seconds for the TTL attribute. */
export const ttlIn = (seconds: number, from = Date.now()) => Math.floor(from / 1000) + seconds;

/** Deletes an item that must exist; a missing one (or another tenant's: keys name the tenant) is a 404. */
export async function deleteExisting(key: Record<string, string>, what: string): Promise<void> {
  try {
    await ddb.send(
      new DeleteCommand({ TableName: tableName, Key: key, ConditionExpression: 'attribute_exists(PK)' }),
    );
  } catch (err) {
    if (isConditionFailure(err)) throw new NotFoundError(`${what} not found.`);
    throw err;
  }
}

/** One page of a tenant's items of one kind: `PK = <tenant>` and SK under a prefix. */
export async function queryPrefix<T>(
  tenantId: string,
  k: { PK: string; SKPrefix: string },
  page: { limit: number; cursor?: string },
  fromItem: (item: Record<string, unknown>) => T,
): Promise<{ items: T[]; next_cursor: string | null }> {
  const out = await ddb.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :sk)',
      ExpressionAttributeValues: { ':pk': k.PK, ':sk': k.SKPrefix },
      Limit: page.limit,
      ExclusiveStartKey: decodeCursor(tenantId, page.cursor, {
        name: 'PK',
        value: k.PK,
        skPrefix: k.SKPrefix,
      }),
    }),
  );
  return {
    items: (out.Items ?? []).map(fromItem),
    next_cursor: encodeCursor(tenantId, out.LastEvaluatedKey),
  };
}
