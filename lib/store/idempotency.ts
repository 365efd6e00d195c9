import { tableName } from '../aws.js';
import { ConflictError } from '../errors.js';
import { type Companion, entity, getConsistent, ttlIn, write } from './db.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';

// Idempotency records: claimed (in_progress) before the handler runs, completed with the sealed
// first response after it. DynamoDB Local has no TTL, and real TTL lags by up to 48 h, so expiry
// is checked here too (`expires_at`).

export interface IdempotencyRecord {
  status: 'in_progress' | 'completed';
  fingerprint: string;
  created_at: string;
  expires_at: number;
  /** The first response, sealed with the tenant's data key; present once completed. */
  response_enc?: string;
}

const { fromItem } = entity<IdempotencyRecord>({
  status: undefined,
  fingerprint: undefined,
  created_at: undefined,
  expires_at: undefined,
  response_enc: undefined,
});

/** Claims the key; returns the live record that holds it instead when there is one. */
export async function claimIdempotencyKey(
  tenantId: string,
  keyHash: string,
  fingerprint: string,
  ttlSeconds: number,
  now = Date.now(),
  also: Companion[] = [],
): Promise<{ claimed: true } | { claimed: false; record: IdempotencyRecord }> {
  const key = keys.idempotency(tenantId, keyHash);
  const expiresAt = ttlIn(ttlSeconds, now);
  const r = await write(
    [
      {
        Put: {
          TableName: tableName,
          Item: {
            ...key,
            type: 'idempotency',
            status: 'in_progress',
            fingerprint,
            created_at: new Date(now).toISOString(),
            expires_at: expiresAt,
            [TTL_ATTRIBUTE]: expiresAt,
          },
          // A record past its expiry counts as absent even if TTL has not removed it yet.
          ConditionExpression: 'attribute_not_exists(PK) OR expires_at <= :now',
          ExpressionAttributeValues: { ':now': Math.floor(now / 1000) },
        },
      },
    ],
    also,
  );
  if (r.ok) return { claimed: true };
  const item = await getConsistent(key);
  if (!item) return claimIdempotencyKey(tenantId, keyHash, fingerprint, ttlSeconds, now, also);
  return { claimed: false, record: fromItem(item) };
}

export async function completeIdempotencyKey(
  tenantId: string,
  keyHash: string,
  fingerprint: string,
  responseEnc: string,
  also: Companion[] = [],
): Promise<void> {
  const r = await write(
    [
      {
        Update: {
          TableName: tableName,
          Key: keys.idempotency(tenantId, keyHash),
          UpdateExpression: 'SET #s = :done, response_enc = :r',
          ConditionExpression: '#s = :claimed AND fingerprint = :f',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':done': 'completed',
            ':claimed': 'in_progress',
            ':r': responseEnc,
            ':f': fingerprint,
          },
        },
      },
    ],
    also,
  );
  if (!r.ok) throw new ConflictError('The idempotency key is no longer claimed by this request.');
}

/** Gives the key back after an error response, so a retry runs again. */
export async function releaseIdempotencyKey(
  tenantId: string,
  keyHash: string,
  fingerprint: string,
  also: Companion[] = [],
) {
  // Not ours (completed, or claimed by another fingerprint): left as it is.
  await write(
    [
      {
        Delete: {
          TableName: tableName,
          Key: keys.idempotency(tenantId, keyHash),
          ConditionExpression: '#s = :claimed AND fingerprint = :f',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':claimed': 'in_progress', ':f': fingerprint },
        },
      },
    ],
    also,
  );
}
