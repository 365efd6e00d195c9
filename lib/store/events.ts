import { tableName } from '../aws.js';
import { type Companion, queryFirst, write } from './db.js';
import type { VaultEventRecord } from './event-types.js';
import { INDEXES, keys, TTL_ATTRIBUTE } from './keys.js';

// The event outbox, a store entity: an event is written in the same transaction as the change that
// caused it (as a companion the domain builds), so a crash can't keep one without the other.
// Pending events carry sparse GSI3 keys until fanned out to webhook deliveries. The store writes
// and reads them; it never decides to emit one (lib/events does).

const EVENT_RETENTION_SECONDS = 30 * 86_400;

export { EVENT_TYPES, type EventType, type VaultEventRecord } from './event-types.js';

type StoredEvent = VaultEventRecord;

export function eventItem(e: StoredEvent) {
  return {
    ...keys.event(e.tenant_id, e.id),
    ...keys.eventPending(e.id, e.timestamp),
    type: 'event',
    event: e,
    [TTL_ATTRIBUTE]: Math.floor(Date.parse(e.timestamp) / 1000) + EVENT_RETENTION_SECONDS,
  };
}

/** The event as a companion of the write that causes it. */
export const eventCompanion = (e: StoredEvent): Companion => ({
  item: { Put: { TableName: tableName, Item: eventItem(e) } },
});

/** Records an event on its own (where no other write carries it). */
export async function putEvent(e: StoredEvent, also: Companion[] = []): Promise<void> {
  await write([{ Put: { TableName: tableName, Item: eventItem(e) } }], also);
}

/** A pending event as the sweeper reads it: its key always, the event if the item holds one. */
export interface PendingEvent {
  key: { PK: string; SK: string };
  event: unknown;
}

/** A committed event, as the pending item that holds it. */
export const pendingOf = (e: StoredEvent): PendingEvent => ({
  key: keys.event(e.tenant_id, e.id),
  event: e,
});

/** Events committed before `before` and not yet fanned out, oldest first. */
export async function pendingEvents(shard: number, before: string, limit: number): Promise<PendingEvent[]> {
  const items = await queryFirst(
    {
      index: INDEXES.pending,
      keyCondition: 'GSI3PK = :pk AND GSI3SK < :before',
      values: { ':pk': keys.eventsPending(shard).GSI3PK, ':before': before },
    },
    limit,
  );
  return items.map((item) => ({
    key: { PK: item.PK as string, SK: item.SK as string },
    event: item.event,
  }));
}

/**
 * The item that takes an event off the pending index, as fanned out; it fails (the fan-out is then
 * not written) if the event was already fanned out or parked.
 */
export const fannedOut = (tenantId: string, eventId: string) => ({
  Update: {
    TableName: tableName,
    Key: keys.event(tenantId, eventId),
    UpdateExpression: 'REMOVE GSI3PK, GSI3SK SET fanned_out_at = :at',
    ConditionExpression: 'attribute_exists(GSI3PK)',
    ExpressionAttributeValues: { ':at': new Date().toISOString() },
  },
});

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
  also: Companion[] = [],
): Promise<'retry' | 'parked' | 'gone'> {
  const counted = await write(
    [
      {
        Update: {
          TableName: tableName,
          Key: key,
          UpdateExpression:
            'SET fanout_attempts = if_not_exists(fanout_attempts, :zero) + :one, fanout_error = :reason',
          ConditionExpression: 'attribute_exists(GSI3PK)',
          ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':reason': reason },
        },
      },
    ],
    also,
    'UPDATED_NEW',
  );
  if (!counted.ok) return 'gone';
  const parked = ((counted.attributes?.fanout_attempts as number | undefined) ?? 0) >= MAX_FANOUT_ATTEMPTS;
  const moved = await write([
    {
      Update: {
        TableName: tableName,
        Key: key,
        UpdateExpression: parked
          ? 'REMOVE GSI3PK, GSI3SK SET fanout_status = :failed, parked_at = :now'
          : 'SET GSI3SK = :later',
        ConditionExpression: 'attribute_exists(GSI3PK)',
        ExpressionAttributeValues: parked
          ? { ':failed': 'failed', ':now': new Date().toISOString() }
          : { ':later': keys.eventPending(eventId, retryAt).GSI3SK },
      },
    },
  ]);
  if (!moved.ok) return 'gone';
  return parked ? 'parked' : 'retry';
}
