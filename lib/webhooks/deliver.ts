import { auditCompanion, systemContext } from '../audit/service.js';
import { config } from '../config.js';
import { newId } from '../ids.js';
import { safeFetch, UnsafeUrlError } from '../net/safe-fetch.js';
import { logger } from '../observability.js';
import type {
  AttemptEntry,
  DeliveryRecord,
  DeliveryRef,
  DisabledReason,
  WebhookRecord,
} from '../store/webhooks.js';
import * as store from '../store/webhooks.js';
import { MAX_QUEUE_DELAY_SECONDS, QUEUED_RECHECK_MS, queueConfigured, sendToQueue } from './dispatch.js';
import { signingSecrets } from './secrets.js';
import { signedHeaders } from './signing.js';

// One delivery attempt: take the lease, sign, POST, record the result, schedule the next attempt.

export const ATTEMPT_TIMEOUT_MS = 10_000;
/** A lease outlives the longest attempt; a worker that dies mid-attempt frees it when it ends. */
const LEASE_MS = ATTEMPT_TIMEOUT_MS + 50_000;
/** SQS delays are whole seconds: accept a message up to this early. */
const EARLY_MS = 1_000;
const JITTER = 0.2;

const fetcher = safeFetch(config.VAULT_MODE, { timeoutMs: ATTEMPT_TIMEOUT_MS, maxBytes: 64 * 1024 });

export type AttemptOutcome = 'skipped' | 'not_due' | 'busy' | 'succeeded' | 'retry' | 'failed';
export interface AttemptResult {
  outcome: AttemptOutcome;
  next_attempt_at?: string;
}

/** Seconds before retry `n` (1-based), with ±20% jitter so that retries of many deliveries spread out. */
export function retryDelaySeconds(n: number, random = Math.random): number | null {
  const base = config.WEBHOOK_RETRY_SCHEDULE[n - 1];
  if (base === undefined) return null;
  return base * (1 - JITTER + 2 * JITTER * random());
}

/** A log entry that is not a delivery: the endpoint was disabled, and why. */
export function disabledNotice(w: WebhookRecord, reason: DisabledReason, at: string): DeliveryRecord {
  const eventId = newId('evt');
  const data = { webhook_id: w.id, reason };
  return {
    id: `dlv_${eventId.slice(4)}`,
    tenant_id: w.tenant_id,
    webhook_id: w.id,
    event_id: eventId,
    event_type: 'webhook.disabled',
    payload: JSON.stringify({ type: 'webhook.disabled', timestamp: at, data }),
    status: 'notice',
    attempts: 0,
    max_attempts: 0,
    attempt_log: [],
    next_attempt_at: null,
    outcome: reason === 'gone' ? 'endpoint answered 410 Gone' : 'endpoint failing',
    lease_until: null,
    created_at: at,
    updated_at: at,
  };
}

function describeError(err: unknown): string {
  if (err instanceof UnsafeUrlError) return `refused: ${err.message}`;
  const e = err as Error & { cause?: { code?: string; message?: string; errors?: { code?: string }[] } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError')
    return `timeout after ${ATTEMPT_TIMEOUT_MS / 1000} s`;
  // A name with several addresses fails with an AggregateError (one error per address tried).
  const code = e?.cause?.code ?? e?.cause?.errors?.find((x) => x.code)?.code;
  if (code) return `network error: ${code}`;
  return `network error: ${e?.cause?.message ?? e?.message ?? 'unknown'}`.slice(0, 200);
}

async function send(w: WebhookRecord, d: DeliveryRecord, at: Date) {
  const started = performance.now();
  let status_code: number | null = null;
  let error: string | null = null;
  try {
    const secrets = await signingSecrets(w, at.getTime());
    const res = await fetcher(w.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'token-vault-webhooks/1',
        ...signedHeaders(secrets, d.event_id, at, d.payload),
      },
      body: d.payload,
    });
    status_code = res.status;
    if (res.status >= 300 && res.status < 400) error = `redirect not followed (HTTP ${res.status})`;
    else if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
  } catch (err) {
    error = describeError(err);
  }
  return { status_code, error, duration_ms: Math.round(performance.now() - started) };
}

/** Performs the delivery's next attempt if it is due and nobody else is performing it. */
export async function attemptDelivery(ref: DeliveryRef): Promise<AttemptResult> {
  const d = await store.getDelivery(ref);
  if (d?.status !== 'pending') return { outcome: 'skipped' };
  const now = Date.now();
  if (d.next_attempt_at && Date.parse(d.next_attempt_at) > now + EARLY_MS)
    return { outcome: 'not_due', next_attempt_at: d.next_attempt_at };

  const claimed = await store.claimAttempt(
    d,
    new Date(now + EARLY_MS).toISOString(),
    new Date(now + LEASE_MS).toISOString(),
  );
  if (!claimed) return { outcome: 'busy' };
  const at = new Date();
  const atIso = at.toISOString();
  const attempt = claimed.attempts + 1;

  const w = await store.getWebhook(ref.tenant_id, ref.webhook_id, true);
  if (w?.status !== 'active') {
    // Nothing is sent to a deleted or disabled endpoint; the delivery ends here.
    await store.completeAttempt(claimed, {
      ...claimed,
      status: 'failed',
      outcome: w ? 'endpoint_disabled' : 'endpoint_deleted',
      next_attempt_at: null,
      updated_at: atIso,
    });
    return { outcome: 'failed' };
  }

  const result = await send(w, claimed, at);
  const done = new Date();
  const entry: AttemptEntry = { attempt, at: atIso, ...result };
  const base: DeliveryRecord = {
    ...claimed,
    attempts: attempt,
    attempt_log: [...claimed.attempt_log, entry].slice(-store.MAX_LOG_ENTRIES),
    updated_at: done.toISOString(),
  };
  const log = {
    tenant_id: ref.tenant_id,
    webhook_id: ref.webhook_id,
    delivery_id: ref.delivery_id,
    event_type: claimed.event_type,
    attempt,
    status_code: result.status_code,
    duration_ms: result.duration_ms,
  };

  if (result.error === null) {
    await store.completeAttempt(claimed, {
      ...base,
      status: 'succeeded',
      outcome: 'delivered',
      next_attempt_at: null,
    });
    if (w.consecutive_failures > 0 || w.first_failure_at)
      await store.recordEndpointSuccess(w.tenant_id, w.id);
    logger.info('Webhook delivered', log);
    return { outcome: 'succeeded' };
  }

  // 410 Gone: the receiver says it will never take deliveries again.
  let disable: DisabledReason | null = result.status_code === 410 ? 'gone' : null;
  if (!disable) {
    const counted = await store.recordEndpointFailure(w.tenant_id, w.id, atIso);
    const since = counted?.first_failure_at ? Date.parse(counted.first_failure_at) : now;
    if (now - since > config.WEBHOOK_DISABLE_AFTER_SECONDS * 1000) disable = 'failing';
  }
  const delay = disable ? null : attempt < claimed.max_attempts ? retryDelaySeconds(attempt) : null;

  if (delay === null) {
    const outcome = disable === 'gone' ? 'gone' : disable ? 'endpoint_disabled' : 'exhausted';
    await store.completeAttempt(claimed, { ...base, status: 'failed', outcome, next_attempt_at: null });
    if (disable) {
      const disabled = await store.disableWebhook(
        w.tenant_id,
        w.id,
        disable,
        atIso,
        disabledNotice(w, disable, atIso),
        // The worker's own change, recorded as the system's.
        [
          auditCompanion(w.tenant_id, systemContext('WebhookWorker'), 'webhook.disable', {
            type: 'webhook',
            id: w.id,
          }),
        ],
      );
      if (disabled) logger.warn('Webhook endpoint disabled', { ...log, reason: disable });
    }
    logger.warn('Webhook delivery failed', { ...log, error: result.error, outcome });
    return { outcome: 'failed' };
  }

  const nextAt = done.getTime() + delay * 1000;
  const next_attempt_at = new Date(nextAt).toISOString();
  // Near retries ride the queue's own delay; later ones wait in the due index for the sweeper.
  const viaQueue = queueConfigured() && delay <= MAX_QUEUE_DELAY_SECONDS;
  const dueKeyAt = new Date(viaQueue ? nextAt + QUEUED_RECHECK_MS : nextAt).toISOString();
  const kept = await store.completeAttempt(claimed, { ...base, next_attempt_at }, dueKeyAt);
  if (kept && viaQueue) await sendToQueue([ref], delay);
  logger.info('Webhook attempt failed; will retry', { ...log, error: result.error, next_attempt_at });
  return { outcome: 'retry', next_attempt_at };
}
