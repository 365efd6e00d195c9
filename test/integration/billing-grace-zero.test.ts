import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from '../helpers/api.js';
import { type StripeDouble, startStripeDouble } from '../helpers/stripe-double.js';

// BILLING_GRACE_DAYS=0: a failed payment makes the tenant read-only at once (built-in plans).

const SK = 'sk_test_grace_zero';
const WHSEC = 'whsec_grace_zero';
const saved = { ...process.env };
let api: Api;
let stripe: StripeDouble;
const signer = new Stripe('sk_test_signer_only');

beforeAll(async () => {
  stripe = await startStripeDouble(SK);
  Object.assign(process.env, {
    BILLING: 'stripe',
    STRIPE_SECRET_KEY: SK,
    STRIPE_WEBHOOK_SECRET: WHSEC,
    STRIPE_API_URL: stripe.url,
    STRIPE_PRO_PRICE_ID: 'price_pro_builtin',
    BILLING_GRACE_DAYS: '0',
    BILLING_CACHE_SECONDS: '0',
  });
  delete process.env.BILLING_PLANS;
  api = await startApi();
});

afterAll(async () => {
  await api?.close();
  await stripe?.close();
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

function send(type: string, object: object) {
  const payload = JSON.stringify({
    id: `evt_${type}_${Date.now()}`,
    object: 'event',
    created: Math.floor(Date.now() / 1000),
    type,
    data: { object },
  });
  return api.call('POST', '/v1/billing/stripe-events', {
    raw: payload,
    headers: {
      'content-type': 'application/json',
      'stripe-signature': signer.webhooks.generateTestHeaderString({ payload, secret: WHSEC }),
    },
  });
}

describe('no grace period', () => {
  it('a failed payment makes the tenant read-only at once; paying lifts it', async () => {
    // Prepare: a tenant on the paid plan.
    const { key } = await api.register();
    const checkout = await api.call('POST', '/v1/billing/checkout', { key, body: { plan: 'pro' } });
    const sessionId = (checkout.body.url as string).split('/').pop() as string;

    // Assess: the checkout asked for the plan's price.
    expect(stripe.checkoutSessions.get(sessionId)).toMatchObject({
      line_items: { 0: { price: 'price_pro_builtin' } },
    });

    // Act: the checkout completes.
    const sub = stripe.completeCheckout(sessionId);
    await send('checkout.session.completed', stripe.checkoutSessions.get(sessionId) as object);

    // Assess
    expect((await api.call('GET', '/v1/billing/subscription', { key })).body.plan.id).toBe('pro');

    // Prepare
    const body = { provider: 'google', key: 'u', access_token: 'at' };
    const invoice = {
      id: 'in_1',
      object: 'invoice',
      customer: sub.customer,
      parent: { subscription_details: { subscription: sub.id } },
    };

    // Act: the payment fails.
    stripe.setSubscription(sub.id, { status: 'past_due' });
    await send('invoice.payment_failed', invoice);

    // Assess
    const refused = await api.call('POST', '/v1/tokens', { key, body });
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ limit: 'payment', plan: 'pro' });
    expect((await api.call('GET', '/v1/tokens', { key })).status).toBe(200);

    // Act: the invoice is paid.
    stripe.setSubscription(sub.id, { status: 'active' });
    await send('invoice.paid', { ...invoice, id: 'in_2' });

    // Assess
    expect((await api.call('POST', '/v1/tokens', { key, body })).status).toBe(201);
  });
});
