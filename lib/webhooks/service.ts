import { auditCompanion } from '../audit/service.js';
import type { AuditAction, AuditContext } from '../audit/types.js';
import { config } from '../config.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { newId } from '../ids.js';
import { assertSafeUrl, type NetPolicy, UnsafeUrlError } from '../net/safe-fetch.js';
import { logger } from '../observability.js';
import type { VaultEventRecord } from '../store/events.js';
import type { DeliveryRecord, DeliveryStatus, WebhookRecord } from '../store/webhooks.js';
import * as store from '../store/webhooks.js';
import { deliveryIdFor, dispatch, handOff, initialDueKey } from './dispatch.js';
import type { CreateWebhookInput, DeliveryView, UpdateWebhookInput, WebhookView } from './schemas.js';
import { openSecret, sealPreviousSecret, sealSecret } from './secrets.js';
import { newSecret } from './signing.js';

// The webhook API's domain: endpoints (CRUD, secret rotation, test pings) and their delivery logs.

/** Endpoints per tenant: one event fans out to all of them in one transaction (≤ 100 items). */
export const MAX_WEBHOOKS_PER_TENANT = 20;

/**
 * Registration-time SSRF check. Deployed: https only, and the host must resolve to public
 * addresses only (checked again at every delivery, at connect time). Local: http://localhost too.
 */
export async function validateWebhookUrl(url: string, policy: NetPolicy): Promise<void> {
  try {
    await assertSafeUrl(url, policy);
  } catch (err) {
    if (err instanceof UnsafeUrlError)
      throw new ValidationError([{ path: 'body.url', message: `Not allowed: ${err.message}.` }]);
    throw err;
  }
}

export function toWebhookView(w: WebhookRecord): WebhookView {
  return {
    id: w.id,
    url: w.url,
    events: w.events,
    description: w.description,
    status: w.status,
    disabled_reason: w.disabled_reason,
    disabled_at: w.disabled_at,
    previous_secret_expires_at:
      w.previous_secret_expires_at && Date.parse(w.previous_secret_expires_at) > Date.now()
        ? w.previous_secret_expires_at
        : null,
    created_at: w.created_at,
    updated_at: w.updated_at,
  };
}

export function toDeliveryView(d: DeliveryRecord): DeliveryView {
  return {
    id: d.id,
    webhook_id: d.webhook_id,
    event_id: d.event_id,
    event_type: d.event_type,
    status: d.status,
    attempts: d.attempts,
    attempt_log: d.attempt_log,
    next_attempt_at: d.next_attempt_at,
    outcome: d.outcome,
    payload: JSON.parse(d.payload) as Record<string, unknown>,
    created_at: d.created_at,
    updated_at: d.updated_at,
  };
}

/**
 * A plan's cap on endpoints (lib/billing's, given by the caller: webhooks know no billing), and
 * the refusal to throw when it is reached.
 */
export interface PlanCap {
  limit: number | null;
  refuse?: (limit: number) => Promise<never>;
}

/** The audit event of an endpoint change, committed with it (the URL is not in it: it may hold a token). */
const audited = (ctx: AuditContext, action: AuditAction, w: Pick<WebhookRecord, 'tenant_id' | 'id'>) => [
  auditCompanion(w.tenant_id, ctx, action, { type: 'webhook', id: w.id }),
];

export async function createWebhook(
  tenantId: string,
  input: CreateWebhookInput,
  ctx: AuditContext,
  plan: PlanCap = { limit: null },
) {
  await validateWebhookUrl(input.url, config.VAULT_MODE);
  // The tighter of the hard cap and the plan's limit, enforced atomically by the endpoint counter.
  const planLimit = plan.limit;
  const at = new Date().toISOString();
  const secret = newSecret();
  const w: WebhookRecord = {
    id: newId('whk'),
    tenant_id: tenantId,
    url: input.url,
    events: input.events,
    description: input.description || null,
    status: 'active',
    disabled_reason: null,
    disabled_at: null,
    secret_enc: '',
    previous_secret_enc: null,
    previous_secret_expires_at: null,
    consecutive_failures: 0,
    first_failure_at: null,
    created_at: at,
    updated_at: at,
    version: 1,
  };
  w.secret_enc = await sealSecret(w, secret);
  const max = Math.min(MAX_WEBHOOKS_PER_TENANT, planLimit ?? MAX_WEBHOOKS_PER_TENANT);
  if (!(await store.putWebhook(w, max, audited(ctx, 'webhook.create', w)))) {
    if (planLimit !== null && planLimit < MAX_WEBHOOKS_PER_TENANT) await plan.refuse?.(planLimit);
    throw new ConflictError(`A tenant can have at most ${MAX_WEBHOOKS_PER_TENANT} webhooks.`);
  }
  return { webhook: w, secret };
}

export const getWebhook = (tenantId: string, id: string) => store.mustGetWebhook(tenantId, id);

export const listWebhooks = (tenantId: string, limit: number, cursor?: string) =>
  store.listWebhooks(tenantId, limit, cursor);

export async function updateWebhook(
  tenantId: string,
  id: string,
  input: UpdateWebhookInput,
  ctx: AuditContext,
) {
  if (input.url !== undefined) await validateWebhookUrl(input.url, config.VAULT_MODE);
  const current = await store.mustGetWebhook(tenantId, id, true);
  const at = new Date().toISOString();
  const next: WebhookRecord = {
    ...current,
    url: input.url ?? current.url,
    events: input.events ?? current.events,
    description: input.description === undefined ? current.description : input.description || null,
    updated_at: at,
    version: current.version + 1,
  };
  if (input.status === 'disabled' && current.status === 'active') {
    Object.assign(next, { status: 'disabled', disabled_reason: 'manual', disabled_at: at });
  } else if (input.status === 'active' && current.status === 'disabled') {
    Object.assign(next, {
      status: 'active',
      disabled_reason: null,
      disabled_at: null,
      consecutive_failures: 0,
      first_failure_at: null,
    });
  }
  await store.replaceWebhook(next, current.version, audited(ctx, 'webhook.update', next));
  return next;
}

export const deleteWebhook = (tenantId: string, id: string, ctx: AuditContext) =>
  store.deleteWebhook(tenantId, id, audited(ctx, 'webhook.delete', { tenant_id: tenantId, id }));

/** A new secret, shown once; the old one keeps signing too for WEBHOOK_SECRET_GRACE_SECONDS. */
export async function rotateSecret(tenantId: string, id: string, ctx: AuditContext) {
  const current = await store.mustGetWebhook(tenantId, id, true);
  const now = Date.now();
  const secret = newSecret();
  const grace = config.WEBHOOK_SECRET_GRACE_SECONDS;
  const next: WebhookRecord = {
    ...current,
    secret_enc: await sealSecret(current, secret),
    previous_secret_enc: grace > 0 ? await sealPreviousSecret(current, await openSecret(current)) : null,
    previous_secret_expires_at: grace > 0 ? new Date(now + grace * 1000).toISOString() : null,
    updated_at: new Date(now).toISOString(),
    version: current.version + 1,
  };
  await store.replaceWebhook(next, current.version, audited(ctx, 'webhook.rotate_secret', next));
  return { webhook: next, secret };
}

/** Sends a `ping` to this endpoint only (recorded and delivered like any event). */
export async function sendTest(tenantId: string, id: string, ctx: AuditContext) {
  const w = await store.mustGetWebhook(tenantId, id, true);
  if (w.status !== 'active') throw new ConflictError('The webhook is disabled; re-enable it first.');
  const event: VaultEventRecord = {
    id: newId('evt'),
    tenant_id: tenantId,
    type: 'ping',
    timestamp: new Date().toISOString(),
    data: { webhook_id: w.id },
  };
  await store.putEvent(event, audited(ctx, 'webhook.test', w));
  try {
    await dispatch([event]);
  } catch (err) {
    // Recorded: the sweeper delivers it.
    logger.warn('Event dispatch deferred to the sweeper', { error: (err as Error).name });
  }
  return { event_id: event.id, delivery_id: deliveryIdFor(event.id) };
}

export async function listDeliveries(
  tenantId: string,
  webhookId: string,
  query: { status?: DeliveryStatus; limit: number; cursor?: string },
) {
  // The endpoint must exist (and be the tenant's): its log is not listed after it is deleted.
  await store.mustGetWebhook(tenantId, webhookId);
  return store.listDeliveries(tenantId, webhookId, { status: query.status }, query.limit, query.cursor);
}

/** One more attempt of a finished delivery, now. */
export async function retryDelivery(
  tenantId: string,
  webhookId: string,
  deliveryId: string,
  ctx: AuditContext,
) {
  const w = await store.mustGetWebhook(tenantId, webhookId, true);
  const ref = { tenant_id: tenantId, webhook_id: webhookId, delivery_id: deliveryId };
  const d = await store.getDelivery(ref);
  if (!d || d.status === 'notice') throw new NotFoundError('Delivery not found.');
  if (w.status !== 'active') throw new ConflictError('The webhook is disabled; re-enable it first.');
  if (d.status === 'pending') throw new ConflictError('The delivery is still pending.');
  const now = new Date().toISOString();
  const reopened = await store.reopenDelivery(
    d,
    now,
    initialDueKey(),
    audited(ctx, 'webhook.retry_delivery', w),
  );
  await handOff([ref]);
  return reopened;
}
