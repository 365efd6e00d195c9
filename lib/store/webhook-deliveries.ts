import { tableName } from '../aws.js';
import { ConflictError } from '../errors.js';
import { type Companion, compact, entity, getConsistent, queryFirst, queryPage, ttlIn, write } from './db.js';
import { fannedOut } from './events.js';
import { INDEXES, keys, REFRESH_SHARDS, TTL_ATTRIBUTE } from './keys.js';

// A webhook endpoint's delivery log, under the tenant's partition. Deliveries awaiting an attempt
// carry sparse GSI3 keys (`DELIVERIES#<shard>` / `<due>#...`): the due index that the sweeper
// queries and that, under `npm start`, is the persisted in-process queue.

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'notice';

export interface AttemptEntry {
  attempt: number;
  at: string;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
}

export interface DeliveryRecord {
  id: string;
  tenant_id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  /** The exact JSON body POSTed (metadata only). */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  /** The attempt after which a failure is final. */
  max_attempts: number;
  attempt_log: AttemptEntry[];
  next_attempt_at: string | null;
  outcome: string | null;
  /** While an attempt is in flight: no other worker may start one before this. */
  lease_until: string | null;
  created_at: string;
  updated_at: string;
}

export interface DeliveryRef {
  tenant_id: string;
  webhook_id: string;
  delivery_id: string;
}

export const DELIVERY_RETENTION_SECONDS = 30 * 86_400;
/** Attempts kept in a delivery's log (manual retries could otherwise grow an item without bound). */
export const MAX_LOG_ENTRIES = 50;

const delivery = entity<DeliveryRecord>({
  id: undefined,
  tenant_id: undefined,
  webhook_id: undefined,
  event_id: undefined,
  event_type: undefined,
  payload: undefined,
  status: undefined,
  attempts: 0,
  max_attempts: 1,
  attempt_log: [],
  next_attempt_at: null,
  outcome: null,
  lease_until: null,
  created_at: undefined,
  updated_at: undefined,
});
export const deliveryFromItem = delivery.fromItem;

/** A delivery's item; `dueKeyAt` (pending only) is when the sweeper should next look at it. */
export function deliveryItem(d: DeliveryRecord, dueKeyAt?: string) {
  return {
    ...keys.delivery(d.tenant_id, d.webhook_id, d.id),
    ...(d.status === 'pending' && dueKeyAt
      ? keys.deliveryDue(d.tenant_id, d.webhook_id, d.id, dueKeyAt)
      : {}),
    type: 'webhook_delivery',
    ...compact(d),
    [TTL_ATTRIBUTE]: ttlIn(DELIVERY_RETENTION_SECONDS, Date.parse(d.created_at)),
  };
}

export async function getDelivery(ref: DeliveryRef, consistent = true): Promise<DeliveryRecord | null> {
  const item = await getConsistent(keys.delivery(ref.tenant_id, ref.webhook_id, ref.delivery_id), consistent);
  return item ? deliveryFromItem(item) : null;
}

/** An endpoint's log, newest first. */
export function listDeliveries(
  tenantId: string,
  webhookId: string,
  filter: { status?: DeliveryStatus },
  limit: number,
  cursor?: string,
) {
  const k = keys.deliveriesOf(tenantId, webhookId);
  return queryPage(
    tenantId,
    {
      keyCondition: 'PK = :pk AND begins_with(SK, :sk)',
      ...(filter.status ? { filter: '#status = :status', names: { '#status': 'status' } } : {}),
      values: { ':pk': k.PK, ':sk': k.SKPrefix, ...(filter.status ? { ':status': filter.status } : {}) },
      newestFirst: true,
      partition: { name: 'PK', value: k.PK, skPrefix: k.SKPrefix },
    },
    { limit, cursor },
    deliveryFromItem,
  );
}

/**
 * Fans an event out: puts one delivery per endpoint and clears the event's pending keys, in one
 * transaction. Idempotent: if the event was already fanned out (its pending keys are gone, or a
 * delivery exists), nothing is written and false is returned.
 */
export async function fanOutEvent(
  tenantId: string,
  eventId: string,
  deliveries: { record: DeliveryRecord; dueKeyAt: string }[],
  also: Companion[] = [],
): Promise<boolean> {
  const r = await write(
    [
      fannedOut(tenantId, eventId),
      ...deliveries.map(({ record, dueKeyAt }) => ({
        Put: {
          TableName: tableName,
          Item: deliveryItem(record, dueKeyAt),
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      })),
    ],
    also,
  );
  return r.ok;
}

/**
 * Takes the lease for the next attempt: only if the delivery is still pending at `attempts`, due,
 * and no lease is live. Moves its due key to the lease's end, so a crashed attempt is swept again.
 */
export async function claimAttempt(
  d: DeliveryRecord,
  now: string,
  leaseUntil: string,
  also: Companion[] = [],
): Promise<DeliveryRecord | null> {
  const due = keys.deliveryDue(d.tenant_id, d.webhook_id, d.id, leaseUntil);
  const r = await write(
    [
      {
        Update: {
          TableName: tableName,
          Key: keys.delivery(d.tenant_id, d.webhook_id, d.id),
          UpdateExpression: 'SET lease_until = :lease, GSI3PK = :gpk, GSI3SK = :gsk, updated_at = :now',
          ConditionExpression:
            '#status = :pending AND attempts = :n AND next_attempt_at <= :now AND (attribute_not_exists(lease_until) OR lease_until < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':lease': leaseUntil,
            ':gpk': due.GSI3PK,
            ':gsk': due.GSI3SK,
            ':now': now,
            ':pending': 'pending',
            ':n': d.attempts,
          },
        },
      },
    ],
    also,
    'ALL_NEW',
  );
  return r.ok && r.attributes ? deliveryFromItem(r.attributes) : null;
}

/**
 * Writes an attempt's result, if the caller still holds the lease it claimed. `dueKeyAt` keeps a
 * pending delivery in the due index; a final status takes it out.
 */
export async function completeAttempt(
  claimed: DeliveryRecord,
  next: DeliveryRecord,
  dueKeyAt?: string,
  also: Companion[] = [],
): Promise<boolean> {
  const r = await write(
    [
      {
        Put: {
          TableName: tableName,
          Item: deliveryItem({ ...next, lease_until: null }, dueKeyAt),
          ConditionExpression: 'attempts = :n AND lease_until = :lease',
          ExpressionAttributeValues: { ':n': claimed.attempts, ':lease': claimed.lease_until },
        },
      },
    ],
    also,
  );
  return r.ok;
}

/** Re-opens a finished delivery for one more attempt, now (manual retry). */
export async function reopenDelivery(
  d: DeliveryRecord,
  now: string,
  dueKeyAt: string,
  also: Companion[] = [],
) {
  const next: DeliveryRecord = {
    ...d,
    status: 'pending',
    max_attempts: d.attempts + 1,
    next_attempt_at: now,
    outcome: null,
    lease_until: null,
    updated_at: now,
  };
  const r = await write(
    [
      {
        Put: {
          TableName: tableName,
          Item: deliveryItem(next, dueKeyAt),
          ConditionExpression: '#status IN (:failed, :succeeded) AND attempts = :n',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':failed': 'failed', ':succeeded': 'succeeded', ':n': d.attempts },
        },
      },
    ],
    also,
  );
  if (!r.ok) throw new ConflictError('The delivery is pending or was changed; retry later.');
  return next;
}

/** Moves a pending delivery's due key, only if nobody moved it since (the sweeper's claim). */
export async function moveDueKey(
  ref: DeliveryRef,
  fromSK: string,
  toAt: string,
  also: Companion[] = [],
): Promise<boolean> {
  const due = keys.deliveryDue(ref.tenant_id, ref.webhook_id, ref.delivery_id, toAt);
  const r = await write(
    [
      {
        Update: {
          TableName: tableName,
          Key: keys.delivery(ref.tenant_id, ref.webhook_id, ref.delivery_id),
          UpdateExpression: 'SET GSI3SK = :to',
          ConditionExpression: 'GSI3SK = :from AND #status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':to': due.GSI3SK, ':from': fromSK, ':pending': 'pending' },
        },
      },
    ],
    also,
  );
  return r.ok;
}

// --- The sweeper's query (GSI3, one shard at a time; never a Scan) -------------------------------

export const SHARDS = Array.from({ length: REFRESH_SHARDS }, (_, i) => i);

/** Deliveries whose due key is before `before`, oldest first. */
export async function dueDeliveries(shard: number, before: string, limit: number) {
  const items = await queryFirst(
    {
      index: INDEXES.pending,
      keyCondition: 'GSI3PK = :pk AND GSI3SK < :before',
      values: { ':pk': keys.deliveriesDue(shard).GSI3PK, ':before': before },
    },
    limit,
  );
  return items.map((item) => ({
    ref: {
      tenant_id: item.tenant_id as string,
      webhook_id: item.webhook_id as string,
      delivery_id: item.id as string,
    },
    dueKey: item.GSI3SK as string,
  }));
}
