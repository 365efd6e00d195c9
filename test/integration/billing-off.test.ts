import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi, tenantItems } from '../helpers/api.js';
import type { DdbCall } from '../helpers/ddb-calls.js';
import { recordDdbCalls } from '../helpers/ddb-calls.js';
import { type StripeDouble, startStripeDouble } from '../helpers/stripe-double.js';

// Billing off (the default): nothing changes. No billing items, no extra DynamoDB round trip, the
// billing routes answer 404, and nothing talks to Stripe — even with a Stripe URL configured.

const saved = { ...process.env };
let api: Api;
let stripe: StripeDouble;
let calls: DdbCall[];

beforeAll(async () => {
  stripe = await startStripeDouble('sk_test_off');
  Object.assign(process.env, { STRIPE_API_URL: stripe.url, STRIPE_SECRET_KEY: 'sk_test_off' });
  delete process.env.BILLING;
  api = await startApi();
  calls = await recordDdbCalls();
});

afterAll(async () => {
  await api?.close();
  await stripe?.close();
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

describe('billing off', () => {
  it('answers 404 on the billing routes and never calls Stripe', async () => {
    // Prepare
    const { key } = await api.register();

    // Act
    const answers = [];
    for (const [method, path] of [
      ['GET', '/v1/billing/usage'],
      ['GET', '/v1/billing/subscription'],
      ['POST', '/v1/billing/portal'],
    ] as const) {
      answers.push({ path, res: await api.call(method, path, { key }) });
    }
    const checkout = await api.call('POST', '/v1/billing/checkout', { key, body: { plan: 'pro' } });
    const events = await api.call('POST', '/v1/billing/stripe-events', {
      raw: '{"id":"evt_1","type":"invoice.paid"}',
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
    });

    // Assess
    for (const { path, res } of answers) {
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
    expect(checkout.status).toBe(404);
    expect(events.status).toBe(404);
    expect(stripe.requests).toHaveLength(0);
  });

  it('writes no billing items and enforces no plan limit', async () => {
    // Prepare
    const { key, tenantId } = await api.register();
    const ids: string[] = [];

    // Act: more webhooks than any built-in plan's free tier allows, and tokens written and deleted
    // (each write checked as it goes).
    for (let i = 0; i < 3; i++) {
      const w = await api.call('POST', '/v1/webhooks', {
        key,
        body: { url: 'http://127.0.0.1:9/hook', events: ['token.created'] },
      });
      expect(w.status).toBe(201);
    }
    for (let i = 0; i < 3; i++) {
      const t = await api.call('POST', '/v1/tokens', {
        key,
        body: { provider: 'google', key: `u${i}`, access_token: 'at' },
      });
      expect(t.status).toBe(201);
      ids.push(t.body.id);
    }
    expect((await api.call('DELETE', `/v1/tokens/${ids[0]}`, { key })).status).toBe(204);

    // Assess
    const sks = (await tenantItems(tenantId)).map((i) => String(i.SK));
    expect(sks.filter((sk) => sk === 'BILLING' || sk.startsWith('USAGE#') || sk === 'COUNT#tokens')).toEqual(
      [],
    );
  });

  it('a warm GET /v1/tokens/{id} makes one DynamoDB read and one audit write', async () => {
    // Prepare: a token, read a few times so that the path is warm.
    const { key } = await api.register();
    const t = await api.call('POST', '/v1/tokens', {
      key,
      body: { provider: 'google', key: 'w', access_token: 'at' },
    });
    for (let i = 0; i < 3; i++) await api.call('GET', `/v1/tokens/${t.body.id}`, { key });
    calls.length = 0;

    // Act
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++)
      statuses.push((await api.call('GET', `/v1/tokens/${t.body.id}`, { key })).status);

    // Assess
    expect(statuses).toEqual(Array(20).fill(200));
    const reads = calls.filter((c) => c.sk.startsWith('TOKEN#'));
    expect(reads).toHaveLength(20);
    // Each read's audit event (token.read, issue 11), written in parallel with the read.
    const auditPuts = calls.filter((c) => c.command === 'PutItemCommand');
    expect(auditPuts).toHaveLength(20);
    // Besides those, at most the API key's `last_used_at` touch (once a minute).
    const rest = calls.filter((c) => !c.sk.startsWith('TOKEN#') && c.command !== 'PutItemCommand');
    expect(rest.every((c) => c.sk === 'APIKEY')).toBe(true);
    expect(calls.length).toBeLessThanOrEqual(41);
  });
});
