import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../../lib/config.js';

// The billing variables of lib/config.ts: defaults (off), and a bad value naming its variable.

const VARS = [
  'BILLING',
  'BILLING_GRACE_DAYS',
  'STRIPE_API_URL',
  'BILLING_CACHE_SECONDS',
  'STRIPE_SECRET_KEY_ARN',
];
const saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));

async function load(env: Record<string, string> = {}): Promise<Config> {
  for (const v of VARS) delete process.env[v];
  Object.assign(process.env, env);
  vi.resetModules();
  return (await import('../../../lib/config.js')).config;
}

afterEach(() => {
  for (const v of VARS) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
});

describe('billing configuration', () => {
  it('is off by default, with a 7-day grace period, a 10 s cache and 5 s flushes', async () => {
    // Act
    const c = await load();

    // Assess
    expect(c).toMatchObject({
      BILLING: 'off',
      BILLING_GRACE_DAYS: 7,
      BILLING_CACHE_SECONDS: 10,
      BILLING_FLUSH_SECONDS: 5,
      STRIPE_METER_EVENT_NAME: 'vault_api_calls',
    });
  });

  it('takes stripe, a zero grace period and a Stripe URL', async () => {
    // Act
    const c = await load({
      BILLING: 'stripe',
      BILLING_GRACE_DAYS: '0',
      STRIPE_API_URL: 'http://127.0.0.1:12111',
    });

    // Assess
    expect(c).toMatchObject({
      BILLING: 'stripe',
      BILLING_GRACE_DAYS: 0,
      STRIPE_API_URL: 'http://127.0.0.1:12111',
    });
  });

  it.each([
    ['BILLING', 'paypal'],
    ['BILLING_GRACE_DAYS', '-1'],
    ['STRIPE_API_URL', 'not a url'],
    ['STRIPE_SECRET_KEY_ARN', 'sk_live_plain_value'],
  ])('refuses %s=%s, naming it', async (name, value) => {
    // Act
    const loading = load({ [name]: value });

    // Assess
    await expect(loading).rejects.toThrow(new RegExp(`${name}:`));
  });
});
