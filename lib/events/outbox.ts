import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../aws.js';
import { newId } from '../ids.js';
import { logger } from '../observability.js';
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

/**
 * After commit: fan the events out to webhooks now. Failure is not fatal: the events are still on
 * the pending index, and the webhook sweeper picks them up. Loaded lazily: most writers never
 * need the webhook code on their cold path until they commit an event.
 */
export async function dispatchSoon(events: VaultEventRecord[]): Promise<void> {
  if (events.length === 0) return;
  try {
    const { dispatch } = await import('../webhooks/dispatch.js');
    await dispatch(events);
  } catch (err) {
    logger.warn('Event dispatch deferred to the sweeper', { error: (err as Error).name });
  }
}
