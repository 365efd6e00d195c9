import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../aws.js';
import { newId } from '../ids.js';
import { keys } from '../store/keys.js';
import type { EventType, VaultEventRecord } from './types.js';

// Transactional outbox: an event is written in the same DynamoDB transaction as the change that
// caused it, so a crash can't keep one without the other. The webhook dispatcher picks pending
// events up (sparse index) and fans them out to endpoints; `dispatchSoon` is a fast path after
// commit, not the only one.

const EVENT_RETENTION_SECONDS = 30 * 86_400;

export function newEvent(tenantId: string, type: EventType, data: Record<string, unknown>): VaultEventRecord {
  return { id: newId('evt'), tenant_id: tenantId, type, timestamp: new Date().toISOString(), data };
}

/** The event's item, for a TransactWriteItems `Put`. */
export function eventItem(e: VaultEventRecord) {
  return {
    ...keys.event(e.tenant_id, e.id),
    ...keys.eventPending(e.id, e.timestamp),
    type: 'event',
    event: e,
    ttl: Math.floor(Date.parse(e.timestamp) / 1000) + EVENT_RETENTION_SECONDS,
  };
}

export function eventPut(e: VaultEventRecord) {
  return { Put: { TableName: tableName, Item: eventItem(e) } };
}

/** Records an event on its own (where no transaction carries it), then dispatches. */
export async function emit(
  tenantId: string,
  type: EventType,
  data: Record<string, unknown>,
): Promise<VaultEventRecord> {
  const e = newEvent(tenantId, type, data);
  await ddb.send(new PutCommand({ TableName: tableName, Item: eventItem(e) }));
  await dispatchSoon([e]);
  return e;
}

type Dispatcher = (events: VaultEventRecord[]) => Promise<void>;
let dispatcher: Dispatcher = async () => {};

/** The webhooks module registers how committed events are handed on (queue send, local worker). */
export function setDispatcher(d: Dispatcher): void {
  dispatcher = d;
}

/** After commit: hand events on now. Failure is not fatal: the pending index still holds them. */
export async function dispatchSoon(events: VaultEventRecord[]): Promise<void> {
  if (events.length === 0) return;
  try {
    await dispatcher(events);
  } catch {
    // Picked up by the sweep of pending events.
  }
}
