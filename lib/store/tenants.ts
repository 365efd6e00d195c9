import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../aws.js';
import type { KeyRing } from '../crypto/data-keys.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { type ApiKeyRecord, apiKeyItem } from './api-keys.js';
import { type Companion, isConditionFailure, write } from './db.js';
import { keys } from './keys.js';

export interface Tenant {
  id: string;
  email: string;
  name: string;
  created_at: string;
}

function tenantItem(t: Tenant, ring: KeyRing) {
  return {
    ...keys.tenant(t.id),
    type: 'tenant',
    ...t,
    dek_current: ring.current,
    deks: Object.fromEntries(Object.entries(ring.wrapped).map(([v, w]) => [v, w])),
  };
}

/** Tenant, email claim and first API key in one transaction: all or nothing. */
export async function createTenant(
  t: Tenant,
  ring: KeyRing,
  firstKey: ApiKeyRecord,
  also: Companion[] = [],
): Promise<void> {
  const r = await write(
    [
      {
        Put: {
          TableName: tableName,
          Item: tenantItem(t, ring),
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      {
        Put: {
          TableName: tableName,
          Item: { ...keys.emailClaim(t.email), type: 'email_claim', tenant_id: t.id },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      {
        Put: {
          TableName: tableName,
          Item: apiKeyItem(firstKey),
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    ],
    also,
  );
  if (!r.ok && r.failed === 1) throw new ConflictError('An account with this email already exists.');
  if (!r.ok) throw new ConflictError('The account could not be created; retry.');
}

export async function loadKeyRing(tenantId: string): Promise<KeyRing> {
  const out = await ddb.send(
    new GetCommand({
      TableName: tableName,
      Key: keys.tenant(tenantId),
      ProjectionExpression: 'dek_current, deks',
    }),
  );
  if (!out.Item) throw new NotFoundError('Tenant not found.');
  const deks = out.Item.deks as Record<string, Uint8Array>;
  return {
    current: out.Item.dek_current as number,
    wrapped: Object.fromEntries(Object.entries(deks).map(([v, w]) => [Number(v), Buffer.from(w)])),
  };
}

/**
 * Adds data-key version `to` to the tenant item and makes it current, on condition that `from` is
 * still current: of two concurrent rotations, the one that commits second gets a 409.
 */
export async function addDataKeyVersion(
  tenantId: string,
  next: { from: number; to: number; wrapped: Buffer },
  rotatedAt: string,
): Promise<void> {
  try {
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.tenant(tenantId),
        UpdateExpression: 'SET dek_current = :to, deks.#to = :wrapped, dek_rotated_at = :at',
        ConditionExpression: 'dek_current = :from AND attribute_not_exists(deks.#to)',
        ExpressionAttributeNames: { '#to': String(next.to) },
        ExpressionAttributeValues: {
          ':from': next.from,
          ':to': next.to,
          ':wrapped': next.wrapped,
          ':at': rotatedAt,
        },
      }),
    );
  } catch (err) {
    if (isConditionFailure(err)) {
      throw new ConflictError(
        'Another rotation of the data key committed first; retry if a further one is wanted.',
      );
    }
    throw err;
  }
}
