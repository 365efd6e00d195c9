import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../aws.js';
import { NotFoundError } from '../errors.js';

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
