import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtInPlans, parsePlans } from '../../../lib/billing/plans.js';
import { planRateLimit } from '../../../lib/billing/rate-limit.js';

const limits = { tokens: 1, api_calls_per_month: 1, webhooks: 1, rate_limit_per_second: 1 };

describe('BILLING_PLANS', () => {
  it('defaults to the built-in free and pro pair', () => {
    // Act
    const plans = parsePlans(undefined);

    // Assess
    expect(plans).toEqual(builtInPlans());
    expect(plans.map((p) => p.id)).toEqual(['free', 'pro']);
    expect(plans[0]).toMatchObject({ limits: { tokens: 100, api_calls_per_month: 10_000 } });
    expect(plans[0]?.stripe_price_id).toBeUndefined();
  });

  it('reads JSON, or a file holding it', () => {
    // Prepare
    const list = [
      { id: 'free', name: 'Free', limits },
      { id: 'team', name: 'Team', stripe_price_id: 'price_1', limits: { ...limits, tokens: null } },
    ];
    const file = join(mkdtempSync(join(tmpdir(), 'plans-')), 'plans.json');
    writeFileSync(file, JSON.stringify(list));

    // Act
    const fromJson = parsePlans(JSON.stringify(list));
    const fromFile = parsePlans(file);

    // Assess
    expect(fromJson).toEqual(list);
    expect(fromFile).toEqual(list);
  });

  it.each([
    ['no default plan', [{ id: 'a', name: 'A', stripe_price_id: 'p', limits }]],
    [
      'two default plans',
      [
        { id: 'a', name: 'A', limits },
        { id: 'b', name: 'B', limits },
      ],
    ],
    [
      'duplicate ids',
      [
        { id: 'a', name: 'A', limits },
        { id: 'a', name: 'B', stripe_price_id: 'p', limits },
      ],
    ],
    ['a missing limit', [{ id: 'a', name: 'A', limits: { tokens: 1 } }]],
    ['an unknown field', [{ id: 'a', name: 'A', limits, price: 3 }]],
  ])('refuses %s, naming BILLING_PLANS', (_, list) => {
    // Act
    const parse = () => parsePlans(JSON.stringify(list));

    // Assess
    expect(parse).toThrow(/BILLING_PLANS/);
  });

  it('refuses what is neither JSON nor a file', () => {
    // Act
    const parse = () => parsePlans('/no/such/file.json');

    // Assess
    expect(parse).toThrow(/BILLING_PLANS/);
  });
});

describe('planRateLimit', () => {
  it('is undefined with billing off (the rate limiter keeps its own settings)', async () => {
    // Act
    const limit = await planRateLimit('tnt_any');

    // Assess
    expect(limit).toBeUndefined();
  });
});
