import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';

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
