import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../aws.js';
import type { KeyRing } from '../crypto/data-keys.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { type ApiKeyRecord, apiKeyItem } from './api-keys.js';
import { type Companion, write } from './db.js';
import { keys } from './keys.js';
import { reencryptionItem } from './reencryption.js';

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
      { Put: { TableName: tableName, Item: dataKeyVersionItem(t.id, ring.current, t.created_at) } },
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

const dataKeyVersionItem = (tenantId: string, version: number, createdAt: string) => ({
  ...keys.dataKeyVersion(tenantId, version),
  type: 'data_key_version',
  version,
  created_at: createdAt,
});

/**
 * Adds data-key version `to` to the tenant item and makes it current, on condition that `from` is
 * still current: of two concurrent rotations, the one that commits second gets a 409. In the same
 * transaction: the version's record and a (re)started re-encryption job, due now.
 */
export async function addDataKeyVersion(
  tenantId: string,
  next: { from: number; to: number; wrapped: Buffer },
  rotatedAt: string,
  also: Companion[] = [],
): Promise<void> {
  const r = await write(
    [
      {
        Update: {
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
        },
      },
      { Put: { TableName: tableName, Item: dataKeyVersionItem(tenantId, next.to, rotatedAt) } },
      // A rotation during a job restarts it: its pass must count against the new version.
      {
        Put: {
          TableName: tableName,
          Item: reencryptionItem({
            tenant_id: tenantId,
            rotated_at: rotatedAt,
            due_at: rotatedAt,
            pass: null,
            last: null,
          }),
        },
      },
    ],
    also,
  );
  if (!r.ok) {
    throw new ConflictError(
      'Another rotation of the data key committed first; retry if a further one is wanted.',
    );
  }
}

/**
 * Retires data-key version `version`: deletes its wrapped key from the tenant item (on condition
 * that it is there and not current) and marks its record retired, in one transaction. Returns
 * false if it was already gone or is current.
 */
export async function retireDataKeyVersion(
  tenantId: string,
  version: number,
  retiredAt: string,
  also: Companion[] = [],
): Promise<boolean> {
  const r = await write(
    [
      {
        Update: {
          TableName: tableName,
          Key: keys.tenant(tenantId),
          UpdateExpression: 'REMOVE deks.#v',
          ConditionExpression: 'attribute_exists(deks.#v) AND dek_current <> :v',
          ExpressionAttributeNames: { '#v': String(version) },
          ExpressionAttributeValues: { ':v': version },
        },
      },
      {
        Update: {
          TableName: tableName,
          Key: keys.dataKeyVersion(tenantId, version),
          UpdateExpression: 'SET #type = :type, version = :v, retired_at = :at',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':type': 'data_key_version', ':v': version, ':at': retiredAt },
        },
      },
    ],
    also,
  );
  return r.ok;
}

/** Keeps a completed pass's count of values under `version` on its record (GET /v1/tenant/data-keys). */
export async function recordDataKeyValues(
  tenantId: string,
  version: number,
  values: number,
  countedAt: string,
): Promise<void> {
  await ddb.send(
    new UpdateCommand({
      TableName: tableName,
      Key: keys.dataKeyVersion(tenantId, version),
      UpdateExpression: 'SET #type = :type, version = :v, #values = :n, counted_at = :at',
      ExpressionAttributeNames: { '#type': 'type', '#values': 'values' },
      ExpressionAttributeValues: {
        ':type': 'data_key_version',
        ':v': version,
        ':n': values,
        ':at': countedAt,
      },
    }),
  );
}

export interface StoredDataKeys {
  current: number;
  /** Versions whose wrapped key is still stored. */
  live: number[];
  tenantCreatedAt: string;
  /** The version records (absent for versions made before they existed). */
  records: {
    version: number;
    created_at?: string;
    retired_at?: string;
    values?: number;
    counted_at?: string;
  }[];
}

/** The tenant's data-key versions as stored: the ring's versions and every version's record. */
export async function storedDataKeys(tenantId: string): Promise<StoredDataKeys> {
  const k = keys.dataKeyVersionsOf(tenantId);
  const [tenant, versions] = await Promise.all([
    ddb.send(
      new GetCommand({
        TableName: tableName,
        Key: keys.tenant(tenantId),
        ProjectionExpression: 'dek_current, deks, created_at',
        ConsistentRead: true,
      }),
    ),
    ddb.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :sk)',
        ExpressionAttributeValues: { ':pk': k.PK, ':sk': k.SKPrefix },
        ConsistentRead: true,
      }),
    ),
  ]);
  if (!tenant.Item) throw new NotFoundError('Tenant not found.');
  return {
    current: tenant.Item.dek_current as number,
    live: Object.keys(tenant.Item.deks as object).map(Number),
    tenantCreatedAt: tenant.Item.created_at as string,
    records: (versions.Items ?? []).map((i) => ({
      version: i.version as number,
      created_at: i.created_at as string | undefined,
      retired_at: i.retired_at as string | undefined,
      values: i.values as number | undefined,
      counted_at: i.counted_at as string | undefined,
    })),
  };
}
