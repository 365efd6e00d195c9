import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../aws.js';
import { ConflictError } from '../errors.js';
import { type Companion, type TransactItem, write } from './db.js';
import { INDEXES, keys, REFRESH_SHARDS } from './keys.js';

// The data-key re-encryption job's state, one item per tenant with a version to move off. Rotation
// (re)writes it; the job keeps its progress there (so a crashed run resumes where it stopped) and
// deletes it when every old version is retired. While it exists it carries a sparse GSI3 entry,
// so the job finds its tenants without a Scan.

/** One walk over the tenant's partition. */
export interface ReencryptionPass {
  started_at: string;
  /** The SK after which the walk continues; null before the first page. */
  cursor: string | null;
  /** Items and sealed values looked at, values resealed, values skipped (changed meanwhile), values that did not open. */
  items: number;
  values: number;
  resealed: number;
  skipped: number;
  failed: number;
  /** Sealed values by version, after this pass's reseals. */
  counts: Record<string, number>;
}

export interface ReencryptionJob {
  tenant_id: string;
  /** The rotation this job serves; a later rotation replaces the job. */
  rotated_at: string;
  /** When the job should next look at the tenant. */
  due_at: string;
  /** The pass in progress, if any. */
  pass: ReencryptionPass | null;
  /** The last completed pass, with `finished_at`; what GET /v1/tenant/data-keys reports as counts. */
  last: (ReencryptionPass & { finished_at: string }) | null;
  /** Epoch ms until which one run holds the job. */
  lease_until?: number;
}

export const REENCRYPTION_SHARDS = Array.from({ length: REFRESH_SHARDS }, (_, i) => i);

export const reencryptionItem = (j: ReencryptionJob) => ({
  ...keys.reencryption(j.tenant_id),
  ...keys.reencryptionDue(j.tenant_id, j.due_at),
  type: 'reencryption',
  ...j,
});

/** Tenants whose job is due at `before` or earlier, oldest first. */
export async function dueReencryptions(shard: number, before: string, limit: number): Promise<string[]> {
  const out = await ddb.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: INDEXES.pending,
      KeyConditionExpression: 'GSI3PK = :pk AND GSI3SK <= :before',
      ExpressionAttributeValues: { ':pk': keys.reencryptionDueShard(shard).GSI3PK, ':before': `${before}#~` },
      Limit: limit,
    }),
  );
  return (out.Items ?? []).map((i) => i.tenant_id as string);
}

export async function getReencryption(tenantId: string): Promise<ReencryptionJob | null> {
  const out = await ddb.send(
    new GetCommand({ TableName: tableName, Key: keys.reencryption(tenantId), ConsistentRead: true }),
  );
  if (!out.Item) return null;
  const { PK: _pk, SK: _sk, GSI3PK: _g, GSI3SK: _s, type: _t, ...job } = out.Item;
  return job as ReencryptionJob;
}

/** Takes the job for one run until `until` (epoch ms), unless another run holds it or a rotation replaced it. */
export async function claimReencryption(job: ReencryptionJob, until: number, now: number): Promise<boolean> {
  const r = await write([
    {
      Update: {
        TableName: tableName,
        Key: keys.reencryption(job.tenant_id),
        UpdateExpression: 'SET lease_until = :until',
        ConditionExpression: 'rotated_at = :r AND (attribute_not_exists(lease_until) OR lease_until < :now)',
        ExpressionAttributeValues: { ':until': until, ':r': job.rotated_at, ':now': now },
      },
    },
  ]);
  if (!r.ok) return false;
  job.lease_until = until;
  return true;
}

/**
 * Saves the job's progress and extends this run's lease to `leaseUntil`, on condition that this
 * run still holds it (same rotation, same lease); false if not, and the run stops.
 */
export async function saveReencryption(job: ReencryptionJob, leaseUntil: number): Promise<boolean> {
  const r = await write([
    {
      Put: {
        TableName: tableName,
        Item: reencryptionItem({ ...job, lease_until: leaseUntil }),
        ConditionExpression: 'rotated_at = :r AND lease_until = :lease',
        ExpressionAttributeValues: { ':r': job.rotated_at, ':lease': job.lease_until },
      },
    },
  ]);
  if (!r.ok) return false;
  job.lease_until = leaseUntil;
  return true;
}

/** Lets the next run take the job at once (the end of a run). */
export async function releaseReencryption(job: ReencryptionJob): Promise<void> {
  await write([
    {
      Update: {
        TableName: tableName,
        Key: keys.reencryption(job.tenant_id),
        UpdateExpression: 'SET lease_until = :zero',
        ConditionExpression: 'rotated_at = :r AND lease_until = :lease',
        ExpressionAttributeValues: { ':zero': 0, ':r': job.rotated_at, ':lease': job.lease_until },
      },
    },
  ]);
}

const endItem = (job: ReencryptionJob): TransactItem => ({
  Delete: {
    TableName: tableName,
    Key: keys.reencryption(job.tenant_id),
    ConditionExpression: 'rotated_at = :r',
    ExpressionAttributeValues: { ':r': job.rotated_at },
  },
});

/** Ends the job (every old version retired), unless a rotation replaced it meanwhile. */
export async function deleteReencryption(job: ReencryptionJob): Promise<void> {
  await write([endItem(job)]);
}

/**
 * The job's end as a companion of the last retirement, so that no reader sees the last old
 * version retired while the job still stands. A rotation that replaced the job meanwhile fails it:
 * the retirement waits for the next run.
 */
export const reencryptionEnd = (job: ReencryptionJob): Companion => ({
  item: endItem(job),
  failed: () => new ConflictError('A rotation replaced the re-encryption job; the next run retires.'),
});

/** One page of every item in the tenant's partition, in SK order, after `afterSK`. */
export async function tenantItemsPage(
  tenantId: string,
  afterSK: string | null,
  limit: number,
): Promise<{ items: Record<string, unknown>[]; last: string | null }> {
  const { PK } = keys.tenant(tenantId);
  const out = await ddb.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': PK },
      ExclusiveStartKey: afterSK ? { PK, SK: afterSK } : undefined,
      Limit: limit,
    }),
  );
  return {
    items: out.Items ?? [],
    last: out.LastEvaluatedKey ? (out.LastEvaluatedKey.SK as string) : null,
  };
}

/**
 * Replaces one sealed attribute on condition that it still holds `old`: a value written
 * meanwhile is never overwritten with a copy of the older one. An item with a `version` (tokens,
 * webhooks) gets it bumped too, so a writer that read the item before the reseal, and would write
 * the old ciphertext back, fails its own version condition and re-reads. False if it changed.
 */
export async function resealAttribute(
  item: Record<string, unknown>,
  attribute: string,
  old: string,
  next: string,
): Promise<boolean> {
  const versioned = typeof item.version === 'number';
  const r = await write([
    {
      Update: {
        TableName: tableName,
        Key: { PK: item.PK, SK: item.SK },
        UpdateExpression: versioned ? 'SET #a = :next, version = version + :one' : 'SET #a = :next',
        ConditionExpression: versioned ? '#a = :old AND version = :v' : '#a = :old',
        ExpressionAttributeNames: { '#a': attribute },
        ExpressionAttributeValues: {
          ':next': next,
          ':old': old,
          ...(versioned ? { ':one': 1, ':v': item.version } : {}),
        },
      },
    },
  ]);
  if (!r.ok) return false;
  if (versioned) item.version = (item.version as number) + 1;
  item[attribute] = next;
  return true;
}
