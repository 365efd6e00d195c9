import { newId } from '../ids.js';
import { logger } from '../observability.js';
import type { EventType, VaultEventRecord } from './types.js';

// Events are recorded in the store's outbox (lib/store/events.ts) in the same transaction as the
// change that caused them: the domain passes `eventCompanion(e)` in the write's `also`. The
// webhook dispatcher picks pending events up (sparse index) and fans them out to endpoints;
// `dispatchSoon` is a fast path after commit, not the only one.

export function newEvent(tenantId: string, type: EventType, data: Record<string, unknown>): VaultEventRecord {
  return { id: newId('evt'), tenant_id: tenantId, type, timestamp: new Date().toISOString(), data };
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
