import { auditCompanion } from '../audit/service.js';
import type { AuditContext } from '../audit/types.js';
import { config } from '../config.js';
import { BadRequestError, ConflictError, ValidationError } from '../errors.js';
import { dispatchSoon, newEvent } from '../events/outbox.js';
import type { VaultEventRecord } from '../events/types.js';
import { logger } from '../observability.js';
import type { BillingAccount } from '../store/billing.js';
import * as store from '../store/billing.js';
import { eventCompanion } from '../store/events.js';
import { allWebhooks } from '../store/webhooks.js';
import { defaultPlan, type Plan, planById, planByPrice } from './plans.js';
import type { CheckoutInput } from './schemas.js';
import { callsSoFar, effectivePlan, forget, isReadOnly, snapshot } from './state.js';
import { type Stripe, stripe, webhookSecret } from './stripe.js';

// Billing through Stripe: customers, Checkout, the Customer Portal, and Stripe's signed events.
// Loaded only when BILLING=stripe (the billing routes answer 404 otherwise).

const toPlanView = (p: Plan) => ({ id: p.id, name: p.name, limits: p.limits });
const iso = (epochSeconds: number | null | undefined) =>
  epochSeconds ? new Date(epochSeconds * 1000).toISOString() : null;
const idOf = (x: string | { id: string } | null | undefined) => (typeof x === 'string' ? x : (x?.id ?? null));

/** The tenant's Stripe customer, created on its first billing action; the idempotency key makes a retry or a race reuse it. */
export async function ensureCustomer(tenantId: string): Promise<string> {
  const account = await store.getAccount(tenantId, true);
  if (account?.customer_id) return account.customer_id;
  const contact = await store.tenantContact(tenantId);
  const s = await stripe();
  const customer = await s.customers.create(
    { name: contact?.name, email: contact?.email, metadata: { tenant_id: tenantId } },
    { idempotencyKey: `token-vault-customer-${tenantId}` },
  );
  await store.setCustomer(tenantId, customer.id, defaultPlan().id);
  return (await store.getAccount(tenantId, true))?.customer_id ?? customer.id;
}

export async function createCheckout(tenantId: string, input: CheckoutInput, baseUrl: string) {
  const plan = planById(input.plan);
  if (!plan) throw new ValidationError([{ path: 'body.plan', message: `No plan '${input.plan}'.` }]);
  if (!plan.stripe_price_id)
    throw new ConflictError(`'${plan.id}' is the default plan: it needs no checkout.`);
  const customer = await ensureCustomer(tenantId);
  const success = input.success_url ?? `${baseUrl}/`;
  const s = await stripe();
  const session = await s.checkout.sessions.create({
    mode: 'subscription',
    customer,
    client_reference_id: tenantId,
    line_items: [{ price: plan.stripe_price_id, quantity: 1 }],
    success_url: success,
    cancel_url: input.cancel_url ?? success,
    metadata: { tenant_id: tenantId, plan_id: plan.id },
    subscription_data: { metadata: { tenant_id: tenantId } },
  });
  if (!session.url) throw new Error('Stripe returned a Checkout Session without a URL');
  return { url: session.url };
}

export async function createPortal(tenantId: string, returnUrl: string) {
  const customer = await ensureCustomer(tenantId);
  const s = await stripe();
  const session = await s.billingPortal.sessions.create({ customer, return_url: returnUrl });
  return { url: session.url };
}

function graceEnd(a: BillingAccount | null): string | null {
  if (!a?.delinquent_since) return null;
  return new Date(Date.parse(a.delinquent_since) + config.BILLING_GRACE_DAYS * 86_400_000).toISOString();
}

export async function subscriptionOf(tenantId: string) {
  const a = await store.getAccount(tenantId, true);
  return {
    plan: toPlanView(effectivePlan(a)),
    status: a?.status ?? 'none',
    current_period_start: a?.current_period_start ?? null,
    current_period_end: a?.current_period_end ?? null,
    cancel_at_period_end: a?.cancel_at_period_end ?? false,
    payment_failed_since: a?.delinquent_since ?? null,
    read_only_from: graceEnd(a),
    read_only: isReadOnly(a),
  };
}

export async function usageOf(tenantId: string) {
  forget(tenantId);
  const s = await snapshot(tenantId);
  let tokens = await store.getTokenCount(tenantId);
  if (tokens === null) {
    await store.seedTokenCount(tenantId);
    tokens = (await store.getTokenCount(tenantId)) ?? 0;
  }
  const webhooks = (await allWebhooks(tenantId)).length;
  return {
    plan: toPlanView(s.plan),
    month: s.month,
    tokens: { used: tokens, limit: s.plan.limits.tokens },
    webhooks: { used: webhooks, limit: s.plan.limits.webhooks },
    api_calls_per_month: { used: callsSoFar(tenantId, s), limit: s.plan.limits.api_calls_per_month },
  };
}

// --- Stripe events -----------------------------------------------------------------------------

const HANDLED = new Set([
  'checkout.session.completed',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.paid',
  'invoice.payment_failed',
]);
const ENDED = new Set(['canceled', 'incomplete_expired']);
const DELINQUENT = new Set(['past_due', 'unpaid']);

/** Verifies and applies one Stripe event, once. Returns whether it had been applied before. */
/** `ctx`: the Stripe request, as the system's (`Stripe`): a change of plan or state is audited with it. */
export async function handleStripeEvent(rawBody: string, signature: string | undefined, ctx: AuditContext) {
  const s = await stripe();
  let event: Stripe.Event;
  try {
    // Checks the HMAC over the raw body and the timestamp (5 minutes' tolerance: stale events fail).
    event = s.webhooks.constructEvent(rawBody, signature ?? '', await webhookSecret());
  } catch (err) {
    throw new BadRequestError('The Stripe-Signature does not verify.', { cause: (err as Error).message });
  }
  if (await store.stripeEventSeen(event.id)) return { received: true as const, duplicate: true };

  let next: BillingAccount | null = null;
  let events: VaultEventRecord[] = [];
  if (HANDLED.has(event.type)) ({ next, events } = await resolve(s, event));
  const audit = next
    ? [auditCompanion(next.tenant_id, ctx, 'billing.update', { type: 'tenant', id: next.tenant_id })]
    : [];
  const applied = await store.applyStripeEvent(event.id, next, [...events.map(eventCompanion), ...audit]);
  if (applied && next) {
    forget(next.tenant_id);
    await dispatchSoon(events);
  }
  return { received: true as const, duplicate: !applied };
}

async function resolve(s: Stripe, event: Stripe.Event) {
  const none = { next: null, events: [] as VaultEventRecord[] };
  const obj = event.data.object as unknown as Record<string, unknown>;
  let subscriptionId: string | null = null;
  if (event.type === 'checkout.session.completed') subscriptionId = idOf(obj.subscription as string | null);
  else if (event.type.startsWith('customer.subscription.')) subscriptionId = obj.id as string;
  else {
    const invoice = obj as unknown as Stripe.Invoice;
    subscriptionId =
      idOf(invoice.parent?.subscription_details?.subscription) ??
      idOf((obj as { subscription?: string | null }).subscription);
  }
  const customerId = idOf(obj.customer as string | null);
  const tenantId = customerId ? await store.tenantOfCustomer(customerId) : null;
  if (!tenantId) {
    logger.warn('Stripe event for an unknown customer, ignored', { type: event.type });
    return none;
  }
  const prev = await store.getAccount(tenantId, true);
  const now = new Date().toISOString();
  const next: BillingAccount = prev ?? {
    tenant_id: tenantId,
    customer_id: customerId,
    subscription_id: null,
    plan_id: defaultPlan().id,
    status: 'none',
    current_period_start: null,
    current_period_end: null,
    cancel_at_period_end: false,
    delinquent_since: null,
    updated_at: now,
  };
  const before = JSON.stringify({ ...next, updated_at: '' });

  if (subscriptionId) {
    // Events arrive out of order and may be old: the subscription as Stripe has it now decides.
    const sub = await s.subscriptions.retrieve(subscriptionId);
    const current = next.subscription_id;
    // An old subscription ending must not end the one the tenant has now.
    const adopt = !ENDED.has(sub.status) || current === null || current === sub.id || ENDED.has(next.status);
    if (adopt) {
      const item = sub.items.data[0];
      const plan = item ? planByPrice(item.price.id) : undefined;
      if (item && !plan)
        logger.warn('Subscription to a price no plan names; default plan applies', { price: item.price.id });
      next.subscription_id = sub.id;
      next.status = sub.status;
      next.plan_id = ENDED.has(sub.status) ? defaultPlan().id : (plan ?? defaultPlan()).id;
      next.current_period_start = iso(item?.current_period_start);
      next.current_period_end = iso(item?.current_period_end);
      next.cancel_at_period_end = sub.cancel_at_period_end;
      if (DELINQUENT.has(sub.status)) next.delinquent_since ??= now;
      if (ENDED.has(sub.status)) next.delinquent_since = null;
    }
  }
  if (event.type === 'invoice.payment_failed') next.delinquent_since ??= now;
  if (event.type === 'invoice.paid') next.delinquent_since = null;
  next.updated_at = now;

  const data = { billing: viewOf(next) };
  const events: VaultEventRecord[] = [];
  if (JSON.stringify({ ...next, updated_at: '' }) !== before)
    events.push(newEvent(tenantId, 'billing.subscription_updated', data));
  if (event.type === 'invoice.payment_failed')
    events.push(newEvent(tenantId, 'billing.payment_failed', data));
  if (event.type === 'invoice.paid') events.push(newEvent(tenantId, 'billing.payment_succeeded', data));
  return { next, events };
}

function viewOf(a: BillingAccount) {
  return {
    plan: effectivePlan(a).id,
    status: a.status,
    current_period_end: a.current_period_end,
    payment_failed_since: a.delinquent_since,
    read_only_from: graceEnd(a),
  };
}
