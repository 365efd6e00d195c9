import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../aws.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { VaultEventRecord } from '../events/types.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { failedConditions, isConditionFailure, queryPrefix, ttlIn, withConflictRetry } from './db.js';
import { INDEXES, keys, REFRESH_SHARDS, TTL_ATTRIBUTE } from './keys.js';

// Webhook endpoints and their delivery logs, under the tenant's partition. Deliveries awaiting an
// attempt carry sparse GSI3 keys (`DELIVERIES#<shard>` / `<due>#...`): the due index that the
// sweeper queries and that, under `npm start`, is the persisted in-process queue.

export type WebhookStatus = 'active' | 'disabled';
export type DisabledReason = 'gone' | 'failing' | 'manual';

export interface WebhookRecord {
  id: string;
  tenant_id: string;
  url: string;
  events: string[];
  description: string | null;
  status: WebhookStatus;
  disabled_reason: DisabledReason | null;
  disabled_at: string | null;
  /** Sealed (lib/crypto), record `webhook#<id>`, field `secret`. */
  secret_enc: string;
  /** Sealed, field `previous_secret`; signs alongside the new one until it expires. */
  previous_secret_enc: string | null;
  previous_secret_expires_at: string | null;
  consecutive_failures: number;
  first_failure_at: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

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

/** Null fields are left out of the item, so conditions and if_not_exists see them as absent. */
function compact<T extends object>(o: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}

function webhookItem(w: WebhookRecord) {
  return { ...keys.webhook(w.tenant_id, w.id), type: 'webhook', ...compact(w) };
}

function webhookFromItem(item: Record<string, unknown>): WebhookRecord {
  const n = <T>(v: unknown) => (v ?? null) as T;
  return {
    id: item.id as string,
    tenant_id: item.tenant_id as string,
    url: item.url as string,
    events: (item.events as string[]) ?? [],
    description: n(item.description),
    status: item.status as WebhookStatus,
    disabled_reason: n(item.disabled_reason),
    disabled_at: n(item.disabled_at),
    secret_enc: item.secret_enc as string,
    previous_secret_enc: n(item.previous_secret_enc),
    previous_secret_expires_at: n(item.previous_secret_expires_at),
    consecutive_failures: (item.consecutive_failures as number | undefined) ?? 0,
    first_failure_at: n(item.first_failure_at),
    created_at: item.created_at as string,
    updated_at: item.updated_at as string,
    version: (item.version as number | undefined) ?? 1,
  };
}

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

export function deliveryFromItem(item: Record<string, unknown>): DeliveryRecord {
  const n = <T>(v: unknown) => (v ?? null) as T;
  return {
    id: item.id as string,
    tenant_id: item.tenant_id as string,
    webhook_id: item.webhook_id as string,
    event_id: item.event_id as string,
    event_type: item.event_type as string,
    payload: item.payload as string,
    status: item.status as DeliveryStatus,
    attempts: (item.attempts as number | undefined) ?? 0,
    max_attempts: (item.max_attempts as number | undefined) ?? 1,
    attempt_log: (item.attempt_log as AttemptEntry[] | undefined) ?? [],
    next_attempt_at: n(item.next_attempt_at),
    outcome: n(item.outcome),
    lease_until: n(item.lease_until),
    created_at: item.created_at as string,
    updated_at: item.updated_at as string,
  };
}

/** A cursor of this tenant that continues a query of this SK range (not another list's). */

// --- Endpoints ---------------------------------------------------------------------------------

const webhookCounter = (tenantId: string) => keys.counter(tenantId, 'webhooks');

/**
 * Puts a new endpoint and counts it, in one transaction that fails (false) if the tenant already
 * has `max`: the cap holds under concurrent creates.
 */
export async function putWebhook(w: WebhookRecord, max: number): Promise<boolean> {
  await ensureWebhookCounter(w.tenant_id);
  try {
    await withConflictRetry(() =>
      ddb.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: tableName,
                Item: webhookItem(w),
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
            {
              Update: {
                TableName: tableName,
                Key: webhookCounter(w.tenant_id),
                UpdateExpression: 'SET n = n + :one',
                ConditionExpression: 'n < :max',
                ExpressionAttributeValues: { ':one': 1, ':max': max },
              },
            },
          ],
        }),
      ),
    );
    return true;
  } catch (err) {
    if (failedConditions(err)?.includes(1)) return false;
    throw err;
  }
}

/** Starts a tenant's endpoint count from its endpoints, once (tenants from before the counter). */
async function ensureWebhookCounter(tenantId: string): Promise<void> {
  const key = webhookCounter(tenantId);
  const out = await ddb.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
  if (out.Item) return;
  const n = (await allWebhooks(tenantId)).length;
  try {
    await ddb.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...key, type: 'counter', n },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err; // a concurrent create started it
  }
}

export async function getWebhook(tenantId: string, id: string, consistent = false) {
  const out = await ddb.send(
    new GetCommand({ TableName: tableName, Key: keys.webhook(tenantId, id), ConsistentRead: consistent }),
  );
  return out.Item ? webhookFromItem(out.Item) : null;
}

export async function mustGetWebhook(tenantId: string, id: string, consistent = false) {
  const w = await getWebhook(tenantId, id, consistent);
  if (!w) throw new NotFoundError('Webhook not found.');
  return w;
}

/** Replaces an endpoint if its version is still `expectedVersion`. */
export async function replaceWebhook(w: WebhookRecord, expectedVersion: number): Promise<void> {
  try {
    await ddb.send(
      new PutCommand({
        TableName: tableName,
        Item: webhookItem(w),
        ConditionExpression: 'attribute_exists(PK) AND version = :v',
        ExpressionAttributeValues: { ':v': expectedVersion },
      }),
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    if (!(await getWebhook(w.tenant_id, w.id, true))) throw new NotFoundError('Webhook not found.');
    throw new ConflictError('The webhook was changed concurrently; retry.');
  }
}

/** Deletes an endpoint and uncounts it, in one transaction. */
export async function deleteWebhook(tenantId: string, id: string): Promise<void> {
  await ensureWebhookCounter(tenantId);
  try {
    await withConflictRetry(() =>
      ddb.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: tableName,
                Key: keys.webhook(tenantId, id),
                ConditionExpression: 'attribute_exists(PK)',
              },
            },
            {
              Update: {
                TableName: tableName,
                Key: webhookCounter(tenantId),
                UpdateExpression: 'SET n = n - :one',
                ExpressionAttributeValues: { ':one': 1 },
              },
            },
          ],
        }),
      ),
    );
  } catch (err) {
    if (failedConditions(err)?.includes(0)) throw new NotFoundError('Webhook not found.');
    throw err;
  }
}

export function listWebhooks(tenantId: string, limit: number, cursor?: string) {
  return queryPrefix(tenantId, keys.webhooksOf(tenantId), { limit, cursor }, webhookFromItem);
}

/** Every endpoint of a tenant (the count is capped at creation). */
export async function allWebhooks(tenantId: string): Promise<WebhookRecord[]> {
  const k = keys.webhooksOf(tenantId);
  const items: WebhookRecord[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await ddb.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :sk)',
        ExpressionAttributeValues: { ':pk': k.PK, ':sk': k.SKPrefix },
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(out.Items ?? []).map(webhookFromItem));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Counts a failed attempt against the endpoint; returns the endpoint as it now is. */
export async function recordEndpointFailure(tenantId: string, id: string, at: string) {
  try {
    const out = await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.webhook(tenantId, id),
        UpdateExpression:
          'SET consecutive_failures = if_not_exists(consecutive_failures, :zero) + :one, first_failure_at = if_not_exists(first_failure_at, :at)',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':at': at },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes ? webhookFromItem(out.Attributes) : null;
  } catch (err) {
    if (isConditionFailure(err)) return null;
    throw err;
  }
}

export async function recordEndpointSuccess(tenantId: string, id: string): Promise<void> {
  try {
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.webhook(tenantId, id),
        UpdateExpression: 'SET consecutive_failures = :zero REMOVE first_failure_at',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':zero': 0 },
      }),
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
}

/**
 * Disables an active endpoint and writes the notice into its log, in one transaction. Returns
 * false if it was not active (already disabled, or deleted): only one caller writes the notice.
 */
export async function disableWebhook(
  tenantId: string,
  id: string,
  reason: DisabledReason,
  at: string,
  notice: DeliveryRecord,
): Promise<boolean> {
  try {
    await ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName,
              Key: keys.webhook(tenantId, id),
              UpdateExpression:
                'SET #status = :disabled, disabled_reason = :reason, disabled_at = :at, updated_at = :at, version = version + :one',
              ConditionExpression: '#status = :active',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':disabled': 'disabled',
                ':active': 'active',
                ':reason': reason,
                ':at': at,
                ':one': 1,
              },
            },
          },
          {
            Put: {
              TableName: tableName,
              Item: deliveryItem(notice),
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
        ],
      }),
    );
    return true;
  } catch (err) {
    if (failedConditions(err)) return false;
    throw err;
  }
}

// --- Deliveries --------------------------------------------------------------------------------

export async function getDelivery(ref: DeliveryRef, consistent = true): Promise<DeliveryRecord | null> {
  const out = await ddb.send(
    new GetCommand({
      TableName: tableName,
      Key: keys.delivery(ref.tenant_id, ref.webhook_id, ref.delivery_id),
      ConsistentRead: consistent,
    }),
  );
  return out.Item ? deliveryFromItem(out.Item) : null;
}

/** An endpoint's log, newest first. */
export async function listDeliveries(
  tenantId: string,
  webhookId: string,
  filter: { status?: DeliveryStatus },
  limit: number,
  cursor?: string,
) {
  const k = keys.deliveriesOf(tenantId, webhookId);
  const out = await ddb.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :sk)',
      ...(filter.status
        ? { FilterExpression: '#status = :status', ExpressionAttributeNames: { '#status': 'status' } }
        : {}),
      ExpressionAttributeValues: {
        ':pk': k.PK,
        ':sk': k.SKPrefix,
        ...(filter.status ? { ':status': filter.status } : {}),
      },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: decodeCursor(tenantId, cursor, { name: 'PK', value: k.PK, skPrefix: k.SKPrefix }),
    }),
  );
  return {
    items: (out.Items ?? []).map(deliveryFromItem),
    next_cursor: encodeCursor(tenantId, out.LastEvaluatedKey),
  };
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
): Promise<boolean> {
  try {
    await ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName,
              Key: keys.event(tenantId, eventId),
              UpdateExpression: 'REMOVE GSI3PK, GSI3SK SET fanned_out_at = :at',
              ConditionExpression: 'attribute_exists(GSI3PK)',
              ExpressionAttributeValues: { ':at': new Date().toISOString() },
            },
          },
          ...deliveries.map(({ record, dueKeyAt }) => ({
            Put: {
              TableName: tableName,
              Item: deliveryItem(record, dueKeyAt),
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          })),
        ],
      }),
    );
    return true;
  } catch (err) {
    if (failedConditions(err)) return false;
    throw err;
  }
}

/**
 * Takes the lease for the next attempt: only if the delivery is still pending at `attempts`, due,
 * and no lease is live. Moves its due key to the lease's end, so a crashed attempt is swept again.
 */
export async function claimAttempt(
  d: DeliveryRecord,
  now: string,
  leaseUntil: string,
): Promise<DeliveryRecord | null> {
  const due = keys.deliveryDue(d.tenant_id, d.webhook_id, d.id, leaseUntil);
  try {
    const out = await ddb.send(
      new UpdateCommand({
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
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes ? deliveryFromItem(out.Attributes) : null;
  } catch (err) {
    if (isConditionFailure(err)) return null;
    throw err;
  }
}

/**
 * Writes an attempt's result, if the caller still holds the lease it claimed. `dueKeyAt` keeps a
 * pending delivery in the due index; a final status takes it out.
 */
export async function completeAttempt(
  claimed: DeliveryRecord,
  next: DeliveryRecord,
  dueKeyAt?: string,
): Promise<boolean> {
  const item = deliveryItem({ ...next, lease_until: null }, dueKeyAt);
  try {
    await ddb.send(
      new PutCommand({
        TableName: tableName,
        Item: item,
        ConditionExpression: 'attempts = :n AND lease_until = :lease',
        ExpressionAttributeValues: { ':n': claimed.attempts, ':lease': claimed.lease_until },
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

/** Re-opens a finished delivery for one more attempt, now (manual retry). */
export async function reopenDelivery(d: DeliveryRecord, now: string, dueKeyAt: string) {
  const next: DeliveryRecord = {
    ...d,
    status: 'pending',
    max_attempts: d.attempts + 1,
    next_attempt_at: now,
    outcome: null,
    lease_until: null,
    updated_at: now,
  };
  try {
    await ddb.send(
      new PutCommand({
        TableName: tableName,
        Item: deliveryItem(next, dueKeyAt),
        ConditionExpression: '#status IN (:failed, :succeeded) AND attempts = :n',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':failed': 'failed', ':succeeded': 'succeeded', ':n': d.attempts },
      }),
    );
  } catch (err) {
    if (isConditionFailure(err))
      throw new ConflictError('The delivery is pending or was changed; retry later.');
    throw err;
  }
  return next;
}

/** Moves a pending delivery's due key, only if nobody moved it since (the sweeper's claim). */
export async function moveDueKey(ref: DeliveryRef, fromSK: string, toAt: string): Promise<boolean> {
  const due = keys.deliveryDue(ref.tenant_id, ref.webhook_id, ref.delivery_id, toAt);
  try {
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.delivery(ref.tenant_id, ref.webhook_id, ref.delivery_id),
        UpdateExpression: 'SET GSI3SK = :to',
        ConditionExpression: 'GSI3SK = :from AND #status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':to': due.GSI3SK, ':from': fromSK, ':pending': 'pending' },
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

// --- The sweeper's queries (GSI3, one shard at a time; never a Scan) ----------------------------

export const SHARDS = Array.from({ length: REFRESH_SHARDS }, (_, i) => i);

/** Deliveries whose due key is before `before`, oldest first. */
export async function dueDeliveries(shard: number, before: string, limit: number) {
  const out = await ddb.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: INDEXES.pending,
      KeyConditionExpression: 'GSI3PK = :pk AND GSI3SK < :before',
      ExpressionAttributeValues: { ':pk': keys.deliveriesDue(shard).GSI3PK, ':before': before },
      Limit: limit,
    }),
  );
  return (out.Items ?? []).map((item) => ({
    ref: {
      tenant_id: item.tenant_id as string,
      webhook_id: item.webhook_id as string,
      delivery_id: item.id as string,
    },
    dueKey: item.GSI3SK as string,
  }));
}

/** A pending event as the sweeper reads it: its key always, the event if the item holds one. */
export interface PendingEvent {
  key: { PK: string; SK: string };
  event: unknown;
}

/** A committed event, as the pending item that holds it. */
export const pendingOf = (e: VaultEventRecord): PendingEvent => ({
  key: keys.event(e.tenant_id, e.id),
  event: e,
});

/** Events committed before `before` and not yet fanned out, oldest first. */
export async function pendingEvents(shard: number, before: string, limit: number): Promise<PendingEvent[]> {
  const out = await ddb.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: INDEXES.pending,
      KeyConditionExpression: 'GSI3PK = :pk AND GSI3SK < :before',
      ExpressionAttributeValues: { ':pk': keys.eventsPending(shard).GSI3PK, ':before': before },
      Limit: limit,
    }),
  );
  return (out.Items ?? []).map((item) => ({
    key: { PK: item.PK as string, SK: item.SK as string },
    event: item.event,
  }));
}

/** Fan-out attempts an event gets before it is parked. */
export const MAX_FANOUT_ATTEMPTS = 3;

/**
 * Records a failed fan-out. Before the last attempt the event moves to the back of its shard's
 * line (due again after `retryAt`), so it cannot stay first and block the others; at the last it
 * is parked: off the pending index for good, marked `fanout_status = failed`. Returns what
 * happened; `gone` if it is no longer pending (fanned out or parked meanwhile).
 */
export async function recordFanOutFailure(
  key: { PK: string; SK: string },
  eventId: string,
  reason: string,
  retryAt: string,
): Promise<'retry' | 'parked' | 'gone'> {
  try {
    const out = await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression:
          'SET fanout_attempts = if_not_exists(fanout_attempts, :zero) + :one, fanout_error = :reason',
        ConditionExpression: 'attribute_exists(GSI3PK)',
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':reason': reason },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const parked = ((out.Attributes?.fanout_attempts as number | undefined) ?? 0) >= MAX_FANOUT_ATTEMPTS;
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: parked
          ? 'REMOVE GSI3PK, GSI3SK SET fanout_status = :failed, parked_at = :now'
          : 'SET GSI3SK = :later',
        ConditionExpression: 'attribute_exists(GSI3PK)',
        ExpressionAttributeValues: parked
          ? { ':failed': 'failed', ':now': new Date().toISOString() }
          : { ':later': keys.eventPending(eventId, retryAt).GSI3SK },
      }),
    );
    return parked ? 'parked' : 'retry';
  } catch (err) {
    if (isConditionFailure(err)) return 'gone';
    throw err;
  }
}
