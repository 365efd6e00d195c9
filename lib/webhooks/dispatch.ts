import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { sqs } from '../aws-sqs.js';
import { config } from '../config.js';
import { logger, metrics } from '../observability.js';
import { EVENT_TYPES, type VaultEventRecord } from '../store/events.js';
import type { DeliveryRecord, DeliveryRef, PendingEvent, WebhookRecord } from '../store/webhooks.js';
import * as store from '../store/webhooks.js';

// Fan-out and hand-off. A committed event becomes one delivery per subscribed endpoint (written in
// the same transaction that takes the event off the pending index), and each delivery is handed
// to whatever performs attempts: the SQS queue when deployed (WEBHOOK_QUEUE_URL), in-process
// workers under `npm start`. Either way the delivery is already durable in the table's due index,
// so a lost hand-off only delays it until the sweeper finds it.

/** SQS's longest DelaySeconds: retries further out wait in the due index for the sweeper. */
export const MAX_QUEUE_DELAY_SECONDS = 900;
/** A queued delivery's due key is pushed this far past its due time: if the message is lost, the sweeper re-queues it then. */
export const QUEUED_RECHECK_MS = 5 * 60_000;

export const queueConfigured = () => Boolean(config.WEBHOOK_QUEUE_URL);

/** The message of one delivery attempt. */
export interface DeliveryMessage extends DeliveryRef {
  v: 1;
}

/** Delivery ids derive from the event id, so one event yields at most one delivery per endpoint. */
export function deliveryIdFor(eventId: string): string {
  return `dlv_${eventId.slice(eventId.indexOf('_') + 1)}`;
}

export function payloadOf(e: Pick<VaultEventRecord, 'type' | 'timestamp' | 'data'>): string {
  return JSON.stringify({ type: e.type, timestamp: e.timestamp, data: e.data });
}

export function subscribers(e: VaultEventRecord, endpoints: WebhookRecord[]): WebhookRecord[] {
  const active = endpoints.filter((w) => w.status === 'active');
  // A ping (POST /v1/webhooks/{id}/test) goes to its one endpoint only.
  if (e.type === 'ping') return active.filter((w) => w.id === e.data.webhook_id);
  return active.filter((w) => w.events.includes(e.type));
}

export function newDelivery(e: VaultEventRecord, w: WebhookRecord): DeliveryRecord {
  const now = new Date().toISOString();
  return {
    id: deliveryIdFor(e.id),
    tenant_id: e.tenant_id,
    webhook_id: w.id,
    event_id: e.id,
    event_type: e.type,
    payload: payloadOf(e),
    status: 'pending',
    attempts: 0,
    max_attempts: 1 + config.WEBHOOK_RETRY_SCHEDULE.length,
    attempt_log: [],
    next_attempt_at: now,
    outcome: null,
    lease_until: null,
    created_at: now,
    updated_at: now,
  };
}

/** Where a new or re-opened delivery sits in the due index until it is attempted. */
export function initialDueKey(now = Date.now()): string {
  return new Date(queueConfigured() ? now + QUEUED_RECHECK_MS : now).toISOString();
}

const eventShape = z.object({
  id: z.string().min(1),
  tenant_id: z.string().min(1),
  type: z.enum(EVENT_TYPES),
  timestamp: z.iso.datetime(),
  data: z.record(z.string(), z.unknown()),
});

/**
 * Fans events out to their endpoints, one event at a time: an event that cannot be fanned out
 * (malformed, or too big for an item or a transaction) is recorded as a failed attempt, sent to
 * the back of the line and, after a few attempts, parked; it never stops the others. Returns the
 * deliveries created.
 */
export async function fanOut(events: (VaultEventRecord | PendingEvent)[]): Promise<DeliveryRef[]> {
  const refs: DeliveryRef[] = [];
  const endpointsOf = new Map<string, Promise<WebhookRecord[]>>();
  for (const item of events) {
    const pending = 'key' in item ? item : store.pendingOf(item);
    const parsed = eventShape.safeParse(pending.event);
    try {
      if (!parsed.success) throw new MalformedEventError();
      refs.push(...(await fanOutOne(parsed.data as VaultEventRecord, endpointsOf)));
    } catch (err) {
      await fanOutFailed(pending, parsed.data?.id ?? pending.key.SK, err);
    }
  }
  return refs;
}

class MalformedEventError extends Error {
  override name = 'MalformedEventError';
}

async function fanOutOne(
  e: VaultEventRecord,
  endpointsOf: Map<string, Promise<WebhookRecord[]>>,
): Promise<DeliveryRef[]> {
  let endpoints = endpointsOf.get(e.tenant_id);
  if (!endpoints) {
    endpoints = store.allWebhooks(e.tenant_id);
    endpointsOf.set(e.tenant_id, endpoints);
  }
  const targets = subscribers(e, await endpoints);
  const dueKeyAt = initialDueKey();
  const deliveries = targets.map((w) => ({ record: newDelivery(e, w), dueKeyAt }));
  const done = await store.fanOutEvent(e.tenant_id, e.id, deliveries);
  if (!done) return []; // another worker fanned it out first
  return deliveries.map(({ record }) => ({
    tenant_id: record.tenant_id,
    webhook_id: record.webhook_id,
    delivery_id: record.id,
  }));
}

async function fanOutFailed(pending: PendingEvent, eventId: string, err: unknown): Promise<void> {
  // The error's kind and a bounded message (DynamoDB's validation messages name limits, not values).
  const reason = `${(err as Error)?.name ?? 'Error'}: ${String((err as Error)?.message ?? '').slice(0, 200)}`;
  try {
    const outcome = await store.recordFanOutFailure(pending.key, eventId, reason, new Date().toISOString());
    if (outcome === 'parked') {
      metrics.addMetric('WebhookEventsParked', MetricUnit.Count, 1);
      logger.error('Webhook event parked: it could not be fanned out', { event_key: pending.key.SK, reason });
    } else if (outcome === 'retry') {
      logger.warn('Webhook fan-out failed; the event goes to the back of the line', {
        event_key: pending.key.SK,
        reason,
      });
    }
  } catch (recordErr) {
    // Still pending as it was: the sweeper retries it. Nothing else waits on it.
    logger.error('Could not record a failed fan-out', { error: (recordErr as Error).name });
  }
}

/** Sends one message per delivery (optionally delayed); resolves to the refs that were sent. */
export async function sendToQueue(refs: DeliveryRef[], delaySeconds = 0): Promise<DeliveryRef[]> {
  const url = config.WEBHOOK_QUEUE_URL;
  if (!url || refs.length === 0) return [];
  const results = await Promise.allSettled(
    refs.map((ref) =>
      sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: JSON.stringify({ v: 1, ...ref } satisfies DeliveryMessage),
          DelaySeconds: Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds))),
        }),
      ),
    ),
  );
  const failed = results.filter((r) => r.status === 'rejected').length;
  if (failed > 0) logger.warn('Webhook queue send failed; the sweeper will re-queue', { failed });
  return refs.filter((_, i) => results[i]?.status === 'fulfilled');
}

const inFlight = new Set<Promise<unknown>>();

/** Attempts in flight in this process (local mode); awaited on shutdown. */
export async function settleInFlight(): Promise<void> {
  await Promise.allSettled([...inFlight]);
}

/**
 * Hands deliveries to their workers: the queue when there is one; in-process (not awaited) under
 * `npm start`; otherwise (a deployed function without queue access) the sweeper's next run.
 */
export async function handOff(refs: DeliveryRef[]): Promise<void> {
  if (refs.length === 0) return;
  if (queueConfigured()) {
    await sendToQueue(refs);
    return;
  }
  if (config.VAULT_MODE !== 'local') return;
  const { attemptDelivery } = await import('./deliver.js');
  for (const ref of refs) {
    const run = attemptDelivery(ref)
      .catch((err: unknown) => logger.error('Webhook attempt failed', { error: (err as Error).name }))
      .finally(() => inFlight.delete(run));
    inFlight.add(run);
  }
}

/** The outbox's fast path: fan out right after commit, then hand off. */
export async function dispatch(events: VaultEventRecord[]): Promise<void> {
  await handOff(await fanOut(events));
}
