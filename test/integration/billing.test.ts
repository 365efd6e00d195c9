import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi, tenantItems } from '../helpers/api.js';
import { startReceiver, waitFor } from '../helpers/receiver.js';
import { type DoubleSubscription, type StripeDouble, startStripeDouble } from '../helpers/stripe-double.js';

// Billing on (BILLING=stripe) through the local server, with the official Stripe SDK talking to a
// local Stripe double over HTTP, and Stripe events signed the way Stripe signs them. The cache and
// flush periods are 0 here so that every call sees the table as it is; the warm path with the
// default periods is tested in billing-warm.test.ts.

const SK = 'sk_test_double_0123456789';
const WHSEC = 'whsec_test_0123456789abcdef';
const PLANS = [
  {
    id: 'free',
    name: 'Free',
    // Rates high enough for these tests' bursts; `throttled` is the plan whose rate limit is tested.
    limits: { tokens: 100, api_calls_per_month: 100_000, webhooks: 1, rate_limit_per_second: 1000 },
  },
  {
    id: 'throttled',
    name: 'Throttled',
    stripe_price_id: 'price_throttled',
    limits: { tokens: 10, api_calls_per_month: 100_000, webhooks: 1, rate_limit_per_second: 2 },
  },
  {
    id: 'starter',
    name: 'Starter',
    stripe_price_id: 'price_starter',
    limits: { tokens: 2, api_calls_per_month: 25, webhooks: 1, rate_limit_per_second: 100 },
  },
  {
    id: 'pro',
    name: 'Pro',
    stripe_price_id: 'price_pro',
    limits: { tokens: 1000, api_calls_per_month: 1_000_000, webhooks: 5, rate_limit_per_second: 50 },
  },
];

const saved = { ...process.env };
let api: Api;
let stripe: StripeDouble;
const signer = new Stripe('sk_test_signer_only');
let seq = 0;

beforeAll(async () => {
  stripe = await startStripeDouble(SK);
  Object.assign(process.env, {
    BILLING: 'stripe',
    STRIPE_SECRET_KEY: SK,
    STRIPE_WEBHOOK_SECRET: WHSEC,
    STRIPE_API_URL: stripe.url,
    BILLING_PLANS: JSON.stringify(PLANS),
    BILLING_CACHE_SECONDS: '0',
    BILLING_FLUSH_SECONDS: '0',
    BILLING_GRACE_DAYS: '7',
  });
  api = await startApi();
});

afterAll(async () => {
  await api?.close();
  await stripe?.close();
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

function stripeEvent(type: string, object: object | undefined, id = `evt_test_${Date.now()}_${seq++}`) {
  return {
    id,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    type,
    data: { object },
  };
}

function send(event: object, opts: { secret?: string; timestamp?: number; header?: string | null } = {}) {
  const payload = JSON.stringify(event);
  const header =
    opts.header === undefined
      ? signer.webhooks.generateTestHeaderString({
          payload,
          secret: opts.secret ?? WHSEC,
          ...(opts.timestamp ? { timestamp: opts.timestamp } : {}),
        })
      : opts.header;
  return api.call('POST', '/v1/billing/stripe-events', {
    raw: payload,
    headers: {
      'content-type': 'application/json',
      ...(header === null ? {} : { 'stripe-signature': header }),
    },
  });
}

const invoice = (sub: DoubleSubscription) => ({
  id: `in_${seq++}`,
  object: 'invoice',
  customer: sub.customer,
  parent: { type: 'subscription_details', subscription_details: { subscription: sub.id } },
});

/** Checkout through the vault, then Stripe's side completes it and sends the event. */
async function subscribe(key: string, plan: string): Promise<DoubleSubscription> {
  const res = await api.call('POST', '/v1/billing/checkout', { key, body: { plan } });
  expect(res.status).toBe(200);
  const sessionId = (res.body.url as string).split('/').pop() as string;
  const sub = stripe.completeCheckout(sessionId);
  const session = stripe.checkoutSessions.get(sessionId) as Record<string, unknown>;
  const ev = await send(stripeEvent('checkout.session.completed', session));
  expect(ev.status).toBe(200);
  return sub;
}

const vaultEvents = async (tenantId: string) =>
  (await tenantItems(tenantId))
    .filter((i) => String(i.SK).startsWith('EVENT#'))
    .map((i) => (i.event as { type: string }).type)
    .filter((t) => t.startsWith('billing.'));

const tokenBody = (n: number | string) => ({ provider: 'google', key: `user-${n}`, access_token: `at-${n}` });

describe('checkout, portal, subscription', () => {
  it('starts on the default plan, without a subscription', async () => {
    // Prepare
    const { key } = await api.register();

    // Act
    const res = await api.call('GET', '/v1/billing/subscription', { key });

    // Assess
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ plan: { id: 'free' }, status: 'none', read_only: false });
    // No Stripe call for that, and no customer yet.
    expect(stripe.requests).toHaveLength(0);
  });

  it('creates one Stripe customer per tenant, even for concurrent first actions', async () => {
    // Prepare
    const { key, tenantId } = await api.register();

    // Act
    const [a, b, c] = await Promise.all([
      api.call('POST', '/v1/billing/checkout', { key, body: { plan: 'pro' } }),
      api.call('POST', '/v1/billing/checkout', { key, body: { plan: 'pro' } }),
      api.call('POST', '/v1/billing/portal', { key }),
    ]);

    // Assess
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    expect(a.body.url).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
    expect(c.body.url).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\//);
    const mine = [...stripe.customers.values()].filter(
      (x) => (x.metadata as Record<string, string>).tenant_id === tenantId,
    );
    expect(mine).toHaveLength(1);
    const creates = stripe.requests.filter(
      (r) => r.path === '/v1/customers' && (r.body.metadata as Record<string, string>).tenant_id === tenantId,
    );
    expect(new Set(creates.map((r) => r.headers['idempotency-key']))).toEqual(
      new Set([`token-vault-customer-${tenantId}`]),
    );
    // The session names the plan's price and the tenant.
    const session = stripe.checkoutSessions.get((a.body.url as string).split('/').pop() as string);
    expect(session).toMatchObject({
      mode: 'subscription',
      customer: mine[0]?.id,
      client_reference_id: tenantId,
      line_items: { 0: { price: 'price_pro', quantity: '1' } },
    });
  });

  it('refuses a plan without a price (409) and an unknown plan (422)', async () => {
    // Prepare
    const { key } = await api.register();

    // Act
    const free = await api.call('POST', '/v1/billing/checkout', { key, body: { plan: 'free' } });
    const gold = await api.call('POST', '/v1/billing/checkout', { key, body: { plan: 'gold' } });

    // Assess
    expect(free.status).toBe(409);
    expect(gold.status).toBe(422);
  });

  it('needs an admin key', async () => {
    // Prepare
    const { key } = await api.register();
    const limited = await api.call('POST', '/v1/api-keys', {
      key,
      body: { name: 'r', scopes: ['tokens:read'] },
    });

    // Act
    const res = await api.call('GET', '/v1/billing/usage', { key: limited.body.api_key });

    // Assess
    expect(res.status).toBe(403);
  });
});

describe('Stripe events', () => {
  it('applies a completed checkout: the plan changes on the next request', async () => {
    // Prepare
    const { key, tenantId } = await api.register();
    const sub = await subscribe(key, 'pro');

    // Act
    const res = await api.call('GET', '/v1/billing/subscription', { key });

    // Assess
    expect(res.body).toMatchObject({ plan: { id: 'pro', limits: { tokens: 1000 } }, status: 'active' });
    expect(Date.parse(res.body.current_period_end)).toBeGreaterThan(Date.now());
    expect(await vaultEvents(tenantId)).toEqual(['billing.subscription_updated']);
    // It re-read the subscription from Stripe.
    expect(stripe.requests.some((r) => r.method === 'GET' && r.path === `/v1/subscriptions/${sub.id}`)).toBe(
      true,
    );
  });

  it('refuses forged, unsigned, stale and tampered events (400) and changes nothing', async () => {
    // Prepare
    const { key, tenantId } = await api.register();
    await api.call('POST', '/v1/billing/portal', { key }); // makes the customer
    const customer = [...stripe.customers.values()].find(
      (x) => (x.metadata as Record<string, string>).tenant_id === tenantId,
    ) as { id: string };
    const sub = stripe.createSubscription(customer.id, 'price_pro');
    const event = stripeEvent('customer.subscription.created', { ...sub });
    const header = signer.webhooks.generateTestHeaderString({
      payload: JSON.stringify(event),
      secret: WHSEC,
    });

    // Act
    const forged = await send(event, { secret: 'whsec_wrong' });
    const unsigned = await send(event, { header: null });
    const stale = await send(event, { timestamp: Math.floor(Date.now() / 1000) - 600 });
    const tampered = await api.call('POST', '/v1/billing/stripe-events', {
      raw: JSON.stringify({ ...event, type: 'invoice.paid' }),
      headers: { 'content-type': 'application/json', 'stripe-signature': header },
    });
    const afterRefused = await api.call('GET', '/v1/billing/subscription', { key });

    // Assess
    expect(forged.status).toBe(400);
    expect(unsigned.status).toBe(400);
    expect(stale.status).toBe(400);
    expect(tampered.status).toBe(400);
    expect(tampered.headers.get('content-type')).toBe('application/problem+json');
    expect(afterRefused.body.plan.id).toBe('free');

    // Act: the genuine one.
    const genuine = await send(event);
    const afterGenuine = await api.call('GET', '/v1/billing/subscription', { key });

    // Assess: it applies.
    expect(genuine.body).toEqual({ received: true, duplicate: false });
    expect(afterGenuine.body.plan.id).toBe('pro');
  });

  it('processes a replayed event once', async () => {
    // Prepare
    const { key, tenantId } = await api.register();
    const sub = await subscribe(key, 'pro');
    stripe.setSubscription(sub.id, { status: 'past_due' });
    const failed = stripeEvent('invoice.payment_failed', invoice(sub));

    // Act
    const answers = [await send(failed), await send(failed), await send(failed)];

    // Assess
    expect(answers[0]?.body).toEqual({ received: true, duplicate: false });
    expect(answers[1]?.body).toEqual({ received: true, duplicate: true });
    expect(answers[2]?.body).toEqual({ received: true, duplicate: true });
    const types = await vaultEvents(tenantId);
    expect(types.filter((t) => t === 'billing.payment_failed')).toHaveLength(1);
    // Audited as Stripe's change, once: the checkout's and this one.
    const audit = await api.call('GET', '/v1/audit-events?action=billing.update', { key });
    expect(audit.body.data).toHaveLength(2);
    expect(audit.body.data[0]).toMatchObject({
      actor: { type: 'system', name: 'Stripe' },
      target: { type: 'tenant', id: tenantId },
      outcome: 'success',
      request_id: answers[0]?.headers.get('x-request-id'),
    });
  });

  it('tolerates out-of-order delivery: Stripe’s current subscription decides, not the event', async () => {
    // Prepare
    const { key } = await api.register();
    const sub = await subscribe(key, 'pro');
    const stale = stripeEvent('customer.subscription.updated', structuredClone(sub)); // says: active, pro
    // Meanwhile the customer moved to starter, then cancelled.
    stripe.setSubscription(sub.id, { price: 'price_starter' });
    const moved = stripeEvent(
      'customer.subscription.updated',
      structuredClone(stripe.subscriptions.get(sub.id)),
    );
    stripe.setSubscription(sub.id, { status: 'canceled' });
    const deleted = stripeEvent(
      'customer.subscription.deleted',
      structuredClone(stripe.subscriptions.get(sub.id)),
    );
    // Act: delivered newest first.
    const statuses = [];
    for (const e of [deleted, moved, stale]) statuses.push((await send(e)).status);
    const res = await api.call('GET', '/v1/billing/subscription', { key });

    // Assess
    expect(statuses).toEqual([200, 200, 200]);
    expect(res.body).toMatchObject({ plan: { id: 'free' }, status: 'canceled' });
  });

  it('delivers billing events to webhooks subscribed to them, signed like every vault event', async () => {
    // Prepare
    const { Webhook } = await import('standardwebhooks');
    const r = await startReceiver();
    try {
      const { key } = await api.register();
      const hook = await api.call('POST', '/v1/webhooks', {
        key,
        body: { url: r.url, events: ['billing.subscription_updated', 'billing.payment_failed'] },
      });
      expect(hook.status).toBe(201);

      // Act
      const sub = await subscribe(key, 'pro');
      stripe.setSubscription(sub.id, { status: 'past_due' });
      await send(stripeEvent('invoice.payment_failed', invoice(sub)));
      await waitFor(() => (r.received.length >= 3 ? true : undefined), 10_000, 'three billing events');

      // Assess
      const wh = new Webhook(hook.body.secret);
      const bodies = r.received.map(
        (d) =>
          wh.verify(d.body, d.headers as Record<string, string>) as {
            type: string;
            data: { billing: Record<string, unknown> };
          },
      );
      expect(bodies.map((b) => b.type).sort()).toEqual([
        'billing.payment_failed',
        'billing.subscription_updated',
        'billing.subscription_updated',
      ]);
      const failed = bodies.find((b) => b.type === 'billing.payment_failed');
      expect(failed?.data.billing).toMatchObject({ plan: 'pro', status: 'past_due' });
      expect(failed?.data.billing.read_only_from).toEqual(expect.any(String));
    } finally {
      await r.close();
    }
  });

  it('acknowledges events it does not handle, and events of unknown customers', async () => {
    // Act
    const a = await send(stripeEvent('customer.created', { id: 'cus_x', object: 'customer' }));

    // Assess
    expect(a.body).toEqual({ received: true, duplicate: false });

    // Act
    const b = await send(
      stripeEvent('invoice.paid', { id: 'in_x', object: 'invoice', customer: 'cus_nobody' }),
    );

    // Assess
    expect(b.body).toEqual({ received: true, duplicate: false });
  });
});

describe('limits', () => {
  it('on a plan of 100 tokens: the 100th is accepted, the 101st is 402 — also when racing', async () => {
    // Prepare: 95 of the plan's 100 tokens, each accepted.
    const { key } = await api.register();
    for (let i = 0; i < 95; i++)
      expect((await api.call('POST', '/v1/tokens', { key, body: tokenBody(i) })).status).toBe(201);

    // Act: ten at once for the last five places: exactly five get in (the counter is conditional, in the insert's transaction).
    const racing = await Promise.all(
      Array.from({ length: 10 }, (_, i) => api.call('POST', '/v1/tokens', { key, body: tokenBody(`r${i}`) })),
    );

    // Assess
    expect(racing.filter((r) => r.status === 201)).toHaveLength(5);
    expect(racing.filter((r) => r.status === 402)).toHaveLength(5);

    // Act
    const over = await api.call('POST', '/v1/tokens', { key, body: tokenBody('over') });

    // Assess
    expect(over.status).toBe(402);
    expect(over.headers.get('content-type')).toBe('application/problem+json');
    expect(over.body).toMatchObject({
      status: 402,
      title: 'Payment Required',
      plan: 'free',
      limit: 'tokens',
      limit_value: 100,
      usage: 100,
      upgrade: '/v1/billing/checkout',
    });
    expect(over.body.detail).toContain('POST /v1/billing/checkout');

    // Act
    const usage = await api.call('GET', '/v1/billing/usage', { key });

    // Assess
    expect(usage.body.tokens).toEqual({ used: 100, limit: 100 });

    // Act: delete one, then create two.
    const list = await api.call('GET', '/v1/tokens?limit=1', { key });
    const deleted = await api.call('DELETE', `/v1/tokens/${list.body.data[0].id}`, { key });
    const again = await api.call('POST', '/v1/tokens', { key, body: tokenBody('again') });
    const again2 = await api.call('POST', '/v1/tokens', { key, body: tokenBody('again2') });

    // Assess: deleting one makes room for one.
    expect(deleted.status).toBe(204);
    expect(again.status).toBe(201);
    expect(again2.status).toBe(402);
  }, 60_000);

  it('limits webhook endpoints', async () => {
    // Prepare
    const { key } = await api.register();
    const body = { url: 'http://127.0.0.1:9/hook', events: ['token.created'] };

    // Act
    const first = await api.call('POST', '/v1/webhooks', { key, body });
    const over = await api.call('POST', '/v1/webhooks', { key, body });

    // Assess: the first endpoint is accepted, the second is over the plan.
    expect(first.status).toBe(201);
    expect(over.status).toBe(402);
    expect(over.body).toMatchObject({ plan: 'free', limit: 'webhooks', limit_value: 1, usage: 1 });
  });

  it('a downgrade deletes nothing; only new writes beyond the limit are refused', async () => {
    // Prepare
    const { key } = await api.register();
    const sub = await subscribe(key, 'pro');
    for (let i = 0; i < 3; i++)
      expect((await api.call('POST', '/v1/tokens', { key, body: tokenBody(i) })).status).toBe(201);

    // Act
    stripe.setSubscription(sub.id, { price: 'price_starter' }); // 2 tokens
    await send(
      stripeEvent('customer.subscription.updated', structuredClone(stripe.subscriptions.get(sub.id))),
    );

    // Assess
    const list = await api.call('GET', '/v1/tokens', { key });
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(3);
    expect((await api.call('GET', `/v1/tokens/${list.body.data[0].id}`, { key })).status).toBe(200);
    expect((await api.call('POST', '/v1/tokens', { key, body: tokenBody('x') })).body).toMatchObject({
      status: 402,
      plan: 'starter',
      limit: 'tokens',
      usage: 3,
    });

    // Act: up again: at once.
    stripe.setSubscription(sub.id, { price: 'price_pro' });
    await send(
      stripeEvent('customer.subscription.updated', structuredClone(stripe.subscriptions.get(sub.id))),
    );

    // Assess
    expect((await api.call('POST', '/v1/tokens', { key, body: tokenBody('x') })).status).toBe(201);
  });

  it('counts every authenticated call and refuses over api_calls_per_month, except billing routes', async () => {
    // Prepare
    const { key } = await api.register();
    await subscribe(key, 'starter'); // 25 calls a month
    const usage = await api.call('GET', '/v1/billing/usage', { key });
    const used = usage.body.api_calls_per_month.used as number;
    expect(usage.body.api_calls_per_month.limit).toBe(25);
    expect(used).toBeGreaterThanOrEqual(2); // checkout and this call

    // Act: calls up to the limit, each accepted, then one more.
    for (let i = used; i < 25; i++) expect((await api.call('GET', '/v1/tokens', { key })).status).toBe(200);
    const over = await api.call('GET', '/v1/tokens', { key });

    // Assess
    expect(over.status).toBe(402);
    expect(over.body).toMatchObject({
      plan: 'starter',
      limit: 'api_calls_per_month',
      limit_value: 25,
      usage: 25,
    });

    // Act: the billing routes.
    const portal = await api.call('POST', '/v1/billing/portal', { key });
    const after = await api.call('GET', '/v1/billing/usage', { key });

    // Assess: the way out stays open.
    expect(portal.status).toBe(200);
    expect(after.body.api_calls_per_month.used).toBeGreaterThanOrEqual(27);
  });

  it('a failed payment starts the grace period; after it the tenant is read-only until paid', async () => {
    // Prepare
    const { key, tenantId } = await api.register();
    const sub = await subscribe(key, 'pro');
    const created = await api.call('POST', '/v1/tokens', { key, body: tokenBody(1) });

    // Act: the payment fails.
    stripe.setSubscription(sub.id, { status: 'past_due' });
    await send(stripeEvent('invoice.payment_failed', invoice(sub)));

    // Assess
    const during = await api.call('GET', '/v1/billing/subscription', { key });
    expect(during.body).toMatchObject({ status: 'past_due', read_only: false, plan: { id: 'pro' } });
    expect(Date.parse(during.body.read_only_from) - Date.parse(during.body.payment_failed_since)).toBe(
      7 * 86_400_000,
    );
    expect((await api.call('POST', '/v1/tokens', { key, body: tokenBody(2) })).status).toBe(201);

    // Act: eight days later (the failure moved back in the table: the clock is not ours to move).
    const { ddb, tableName } = await import('../../lib/aws.js');
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { PK: `TENANT#${tenantId}`, SK: 'BILLING' },
        UpdateExpression: 'SET delinquent_since = :t',
        ExpressionAttributeValues: { ':t': new Date(Date.now() - 8 * 86_400_000).toISOString() },
      }),
    );

    // Assess
    const refused = await api.call('POST', '/v1/tokens', { key, body: tokenBody(3) });
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ limit: 'payment', upgrade: '/v1/billing/portal' });
    expect((await api.call('DELETE', `/v1/tokens/${created.body.id}`, { key })).status).toBe(402);
    expect((await api.call('GET', `/v1/tokens/${created.body.id}`, { key })).status).toBe(200);
    expect((await api.call('GET', '/v1/tokens', { key })).status).toBe(200);
    expect((await api.call('GET', '/v1/billing/subscription', { key })).body.read_only).toBe(true);
    expect((await api.call('POST', '/v1/billing/portal', { key })).status).toBe(200);

    // Act: the invoice is paid.
    stripe.setSubscription(sub.id, { status: 'active' });
    await send(stripeEvent('invoice.paid', invoice(sub)));

    // Assess
    expect((await api.call('POST', '/v1/tokens', { key, body: tokenBody(3) })).status).toBe(201);
    expect(await vaultEvents(tenantId)).toEqual(
      expect.arrayContaining([
        'billing.subscription_updated',
        'billing.payment_failed',
        'billing.payment_succeeded',
      ]),
    );
  });

  it("rate_limit_per_second: the hook gives the rate limiter the tenant's plan rate", async () => {
    // Prepare
    const { planRateLimit } = await import('../../lib/billing/rate-limit.js');
    const free = await api.register();
    const pro = await api.register();
    await subscribe(pro.key, 'pro');

    // Act
    const freeRate = await planRateLimit(free.tenantId);
    const proRate = await planRateLimit(pro.tenantId);

    // Assess
    expect(freeRate).toBe(1000);
    expect(proRate).toBe(50);
  });

  it("rate_limit_per_second sets the tenant's limit over HTTP: throttled (2/s, burst 4) gets 429, pro does not", async () => {
    // Prepare
    const slow = await api.register();
    await subscribe(slow.key, 'throttled');
    const pro = await api.register();
    await subscribe(pro.key, 'pro');
    const burst = async (key: string) =>
      Promise.all(Array.from({ length: 10 }, () => api.call('GET', '/v1/tokens', { key })));

    // Act
    const slowAnswers = await burst(slow.key);
    const proAnswers = await burst(pro.key);

    // Assess
    const limited = slowAnswers.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(4); // 10 at once against a bucket of 4 (+ refill)
    expect(limited[0]?.headers.get('ratelimit-limit')).toBe('4');
    expect(Number(limited[0]?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(proAnswers.every((r) => r.status === 200)).toBe(true);
    expect(proAnswers[0]?.headers.get('ratelimit-limit')).toBe('100');
  });
});

describe('usage reported to Stripe as meter events', () => {
  it('reports increments, never twice, reusing an identifier only to retry the same report', async () => {
    // Prepare
    const { reportUsage } = await import('../../lib/billing/report.js');
    const { flushAll } = await import('../../lib/billing/state.js');
    const { getUsage } = await import('../../lib/store/billing.js');
    const { key, tenantId } = await api.register();
    await subscribe(key, 'pro');
    const customer = [...stripe.customers.values()].find(
      (x) => (x.metadata as Record<string, string>).tenant_id === tenantId,
    ) as { id: string };
    const mine = () => stripe.meterEvents.filter((e) => e.payload.stripe_customer_id === customer.id);
    const month = new Date().toISOString().slice(0, 7);
    const stored = async () => (await getUsage(tenantId, month, true)).api_calls;

    // Act
    for (let i = 0; i < 5; i++) await api.call('GET', '/v1/tokens', { key });
    await flushAll();
    await reportUsage();

    // Assess
    expect(mine()).toHaveLength(1);
    expect(Number(mine()[0]?.payload.value)).toBe(await stored());
    expect(mine()[0]?.event_name).toBe('vault_api_calls');

    // Act
    await reportUsage(); // nothing new: nothing sent

    // Assess
    expect(mine()).toHaveLength(1);

    // Act
    for (let i = 0; i < 3; i++) await api.call('GET', '/v1/tokens', { key });
    await flushAll();
    const before = await stored();
    // Stripe is down for a whole run: nothing recorded there; the next run sends the same report.
    stripe.failMeterEvents(10);
    const down = await reportUsage();

    // Assess
    expect(down.failed).toBeGreaterThanOrEqual(1);
    expect(mine()).toHaveLength(1);

    // Act
    stripe.failMeterEvents(0);
    // New calls meanwhile are not folded into the pending report: it is retried as it was.
    for (let i = 0; i < 2; i++) await api.call('GET', '/v1/tokens', { key });
    await flushAll();
    await reportUsage();

    // Assess
    expect(mine()).toHaveLength(2);
    expect(Number(mine()[1]?.payload.value)).toBe(before - Number(mine()[0]?.payload.value));

    // Act: stripe takes one but the answer is lost: the retry (same identifier) is not counted again.
    stripe.failMeterEventsAfterAccept(1);
    await reportUsage();
    await reportUsage();

    // Assess
    const events = mine();
    expect(new Set(events.map((e) => e.identifier)).size).toBe(events.length);
    const total = events.reduce((n, e) => n + Number(e.payload.value), 0);
    expect(total).toBe(await stored());
    expect((await getUsage(tenantId, month, true)).reported).toBe(total);
    // Off the reporter's index once everything is reported.
    const item = (await tenantItems(tenantId)).find((i) => i.SK === `USAGE#${month}`);
    expect(item?.GSI3PK).toBeUndefined();
  }, 60_000);

  it('tenants without a Stripe customer are settled without a report', async () => {
    // Prepare
    const { reportUsage } = await import('../../lib/billing/report.js');
    const { flushAll } = await import('../../lib/billing/state.js');
    const { key, tenantId } = await api.register();
    await api.call('GET', '/v1/tokens', { key });
    await flushAll();
    const sent = stripe.meterEvents.length;

    // Act
    await reportUsage();

    // Assess
    expect(stripe.meterEvents.length).toBe(sent);
    const month = new Date().toISOString().slice(0, 7);
    const item = (await tenantItems(tenantId)).find((i) => i.SK === `USAGE#${month}`);
    expect(item).toMatchObject({ api_calls: 1, reported: 1 });
    expect(item?.GSI3PK).toBeUndefined();
  });
});
