import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../aws.js';
import { config } from '../config.js';
import { BadRequestError } from '../errors.js';
import type { AuditAction, AuditEvent } from './audit-types.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { getConsistent, type TransactItem, write } from './db.js';
import { INDEXES, keys } from './keys.js';

// Audit events: per tenant, one partition per month, newest first by sort key `<time>#<id>`. No
// Scan: a listing walks the months backwards. Expiry by TTL (AUDIT_RETENTION_DAYS); DynamoDB Local
// never expires and DynamoDB takes up to two days, so reads drop expired items themselves.

const FIELDS = [
  'id',
  'time',
  'action',
  'actor',
  'target',
  'outcome',
  'request_id',
  'source_ip',
  'user_agent',
] as const;

const expiresAt = (time: string) =>
  Math.floor(Date.parse(time) / 1000) + config.AUDIT_RETENTION_DAYS * 86_400;

export function toAuditItem(tenantId: string, e: AuditEvent): Record<string, unknown> {
  return {
    ...keys.auditEvent(tenantId, e.time, e.id),
    type: 'audit',
    tenant_id: tenantId,
    ...e,
    ttl: expiresAt(e.time),
  };
}

function fromItem(item: Record<string, unknown>): AuditEvent {
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) out[f] = item[f] ?? null;
  return out as unknown as AuditEvent;
}

/** The event as a transaction item, to commit with the change it records (an id is never reused). */
export function auditItem(tenantId: string, e: AuditEvent): TransactItem {
  return {
    Put: {
      TableName: tableName,
      Item: toAuditItem(tenantId, e),
      ConditionExpression: 'attribute_not_exists(PK)',
    },
  };
}

/** Writes one event on its own. */
export async function putAudit(tenantId: string, e: AuditEvent): Promise<void> {
  await ddb.send(new PutCommand({ TableName: tableName, Item: toAuditItem(tenantId, e) }));
}

/** Takes back an event written ahead of what it records, when that did not happen (a read of a missing item). */
export async function deleteAudit(tenantId: string, e: Pick<AuditEvent, 'time' | 'id'>): Promise<void> {
  await ddb.send(new DeleteCommand({ TableName: tableName, Key: keys.auditEvent(tenantId, e.time, e.id) }));
}

/** The tenant owning an object id (sparse GSI4), or null. Eventually consistent, like every GSI. */
export async function ownerOf(type: string, id: string): Promise<string | null> {
  const out = await ddb.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: INDEXES.byId,
      KeyConditionExpression: 'GSI4PK = :pk',
      ExpressionAttributeValues: { ':pk': keys.byId(type, id).GSI4PK },
      ProjectionExpression: 'GSI4SK',
      Limit: 1,
    }),
  );
  const sk = out.Items?.[0]?.GSI4SK as string | undefined;
  return sk?.startsWith('TENANT#') ? sk.slice('TENANT#'.length) : null;
}

export interface AuditFilter {
  action?: AuditAction;
  target_id?: string;
  actor_id?: string;
  /** Inclusive, ISO 8601 UTC (toISOString). */
  since?: string;
  /** Exclusive. */
  until?: string;
}

/** At most this many month queries per page: a sparse filter returns a short page and a cursor. */
const MAX_QUERIES = 24;

const monthOf = (iso: string) => iso.slice(0, 7);
function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

/** A page of a tenant's events, newest first. */
export async function listAudit(
  tenantId: string,
  filter: AuditFilter,
  limit: number,
  cursor?: string,
): Promise<{ items: AuditEvent[]; next_cursor: string | null }> {
  const now = Date.now();
  const retained = new Date(now - config.AUDIT_RETENTION_DAYS * 86_400_000).toISOString();
  const since = filter.since && filter.since > retained ? filter.since : retained;
  const until = filter.until ?? new Date(now + 60_000).toISOString();
  const start = startOf(tenantId, cursor);
  if (since >= until) return { items: [], next_cursor: null };
  let month = start?.month ?? monthOf(until);
  let exclusiveStart = start?.key;
  const items: AuditEvent[] = [];
  const lowest = monthOf(since);

  const names: Record<string, string> = { '#ttl': 'ttl' };
  const values: Record<string, unknown> = {
    ':now': Math.floor(now / 1000),
    ':since': since,
    ':until': until,
  };
  const conditions = ['#ttl > :now'];
  if (filter.action) {
    names['#action'] = 'action';
    values[':action'] = filter.action;
    conditions.push('#action = :action');
  }
  if (filter.target_id) {
    Object.assign(names, { '#target': 'target', '#id': 'id' });
    values[':target'] = filter.target_id;
    conditions.push('#target.#id = :target');
  }
  if (filter.actor_id) {
    Object.assign(names, { '#actor': 'actor', '#id': 'id' });
    values[':actor'] = filter.actor_id;
    conditions.push('#actor.#id = :actor');
  }

  for (let q = 0; q < MAX_QUERIES && month >= lowest; q++) {
    const pk = keys.auditMonth(tenantId, month).PK;
    const out = await ddb.send(
      new QueryCommand({
        TableName: tableName,
        // `<time>#<id>` sorts by time; `until` alone sorts before every id at that instant (exclusive).
        KeyConditionExpression: 'PK = :pk AND SK BETWEEN :since AND :until',
        FilterExpression: conditions.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ...values, ':pk': pk },
        ScanIndexForward: false,
        Limit: limit - items.length,
        ExclusiveStartKey: exclusiveStart,
      }),
    );
    items.push(...(out.Items ?? []).map(fromItem));
    if (out.LastEvaluatedKey) {
      exclusiveStart = out.LastEvaluatedKey;
      if (items.length >= limit) return { items, next_cursor: encodeCursor(tenantId, out.LastEvaluatedKey) };
      continue;
    }
    exclusiveStart = undefined;
    month = previousMonth(month);
    if (items.length >= limit) break;
  }
  if (month < lowest) return { items, next_cursor: null };
  // More months to read: continue from the start of `month` (an empty SK says "from its newest").
  const next = exclusiveStart ?? { PK: keys.auditMonth(tenantId, month).PK, SK: '' };
  return { items, next_cursor: encodeCursor(tenantId, next) };
}

function startOf(tenantId: string, cursor: string | undefined) {
  if (cursor === undefined) return undefined;
  let pk: unknown;
  try {
    pk = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { k?: { PK?: unknown } }).k?.PK;
  } catch {
    throw new BadRequestError('The cursor is invalid.');
  }
  const prefix = keys.auditMonth(tenantId, '').PK;
  const month = typeof pk === 'string' && pk.startsWith(prefix) ? pk.slice(prefix.length) : '';
  if (!/^\d{4}-\d{2}$/.test(month)) throw new BadRequestError('The cursor is invalid.');
  // Checks the tenant and the partition too.
  const key = decodeCursor(tenantId, cursor, { name: 'PK', value: keys.auditMonth(tenantId, month).PK });
  return { month, key: key?.SK === '' ? undefined : key };
}

/** The tenant's wrapped audit HMAC key (lib/audit/hmac.ts), if made yet. */
export async function getWrappedAuditKey(tenantId: string): Promise<Buffer | undefined> {
  const item = await getConsistent(keys.auditHmacKey(tenantId));
  return typeof item?.wrapped === 'string' ? Buffer.from(item.wrapped, 'base64') : undefined;
}

/** Stores the tenant's wrapped audit key unless one exists; false if another process stored one first. */
export async function putWrappedAuditKey(tenantId: string, wrapped: Buffer): Promise<boolean> {
  const r = await write([
    {
      Put: {
        TableName: tableName,
        Item: { ...keys.auditHmacKey(tenantId), type: 'audit_hmac_key', wrapped: wrapped.toString('base64') },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    },
  ]);
  return r.ok;
}
