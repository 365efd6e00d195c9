import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from '../helpers/api.js';
import { type DdbCall, recordDdbCalls } from '../helpers/ddb-calls.js';

// Billing on with the default cache (10 s) and flush (5 s) periods: a warm read waits on no
// billing round trip. Counted calls are written in the background, at most once per tenant per
// flush period, and the plan is re-read at most once per cache period.

const saved = { ...process.env };
let api: Api;
let calls: DdbCall[];

beforeAll(async () => {
  Object.assign(process.env, {
    BILLING: 'stripe',
    STRIPE_SECRET_KEY: 'sk_test_unused',
    STRIPE_WEBHOOK_SECRET: 'whsec_unused',
    STRIPE_API_URL: 'http://127.0.0.1:9',
  });
  delete process.env.BILLING_CACHE_SECONDS;
  delete process.env.BILLING_FLUSH_SECONDS;
  // The default cache and flush periods; a plan whose rate limit lets this test's 40 quick reads through.
  process.env.BILLING_PLANS = JSON.stringify([
    {
      id: 'free',
      name: 'Free',
      limits: { tokens: 100, api_calls_per_month: 10_000, webhooks: 2, rate_limit_per_second: 1000 },
    },
  ]);
  api = await startApi();
  calls = await recordDdbCalls();
});

afterAll(async () => {
  await api?.close();
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

describe('billing on, warm path', () => {
  it('GET /v1/tokens/{id}: one DynamoDB read per request, billing reads and writes amortised', async () => {
    // Prepare: a token, read a few times so that the path is warm.
    const { key, tenantId } = await api.register();
    const t = await api.call('POST', '/v1/tokens', {
      key,
      body: { provider: 'google', key: 'w', access_token: 'at' },
    });
    for (let i = 0; i < 3; i++) await api.call('GET', `/v1/tokens/${t.body.id}`, { key });

    calls.length = 0;
    const n = 40;

    // Act
    const started = Date.now();
    const statuses: number[] = [];
    for (let i = 0; i < n; i++)
      statuses.push((await api.call('GET', `/v1/tokens/${t.body.id}`, { key })).status);
    const seconds = (Date.now() - started) / 1000;

    // Assess
    expect(statuses).toEqual(Array(n).fill(200));
    const billing = calls.filter((c) => c.sk === 'BILLING' || c.sk.startsWith('USAGE#'));
    expect(calls.filter((c) => c.sk.startsWith('TOKEN#'))).toHaveLength(n);
    // Flushes: at most one per 5 s (plus the one in flight at the start); re-reads: two items per 10 s.
    const flushes = billing.filter((c) => c.command === 'UpdateCommand');
    const reads = billing.filter((c) => c.command === 'GetCommand');
    expect(flushes.length).toBeLessThanOrEqual(Math.ceil(seconds / 5) + 1);
    expect(reads.length).toBeLessThanOrEqual(2 * (Math.ceil(seconds / 10) + 1));
    // Every call was counted (written on shutdown or by the next flush).
    const { flushAll } = await import('../../lib/billing/state.js');
    const { getUsage } = await import('../../lib/store/billing.js');
    await flushAll();
    const usage = await getUsage(tenantId, new Date().toISOString().slice(0, 7), true);
    expect(usage.api_calls).toBe(n + 4);
  });
});
