import { describe, expect, it } from 'vitest';
import { config } from '../../../lib/config.js';
import { retryDelaySeconds } from '../../../lib/webhooks/deliver.js';

// The webhook retry schedule (default 5,300,1800,7200,18000,36000,36000 s) with ±20% jitter.

describe('retryDelaySeconds', () => {
  it('uses the default schedule here', () => {
    // Act
    const schedule = config.WEBHOOK_RETRY_SCHEDULE;

    // Assess: the cases below are written against it.
    expect(schedule).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
  });

  it.each([
    [1, 5],
    [2, 300],
    [3, 1800],
    [4, 7200],
    [5, 18000],
    [6, 36000],
    [7, 36000],
  ])('retry %i without jitter waits %i s', (n, seconds) => {
    // Act
    const delay = retryDelaySeconds(n, () => 0.5);

    // Assess
    expect(delay).toBeCloseTo(seconds, 9);
  });

  it.each([
    [0, 0.8],
    [0.25, 0.9],
    [0.75, 1.1],
    [1, 1.2],
  ])('random %d scales the delay by %d (jitter within ±20%%)', (random, factor) => {
    // Act
    const delays = [retryDelaySeconds(1, () => random), retryDelaySeconds(7, () => random)];

    // Assess
    expect(delays[0]).toBeCloseTo(5 * factor, 9);
    expect(delays[1]).toBeCloseTo(36000 * factor, 9);
  });

  it.each([0, -1, 8, 100])('there is no retry %i: null', (n) => {
    // Act
    const delay = retryDelaySeconds(n, () => 0.5);

    // Assess
    expect(delay).toBeNull();
  });

  it('defaults to Math.random, staying within the jitter', () => {
    // Act
    const delays = Array.from({ length: 200 }, () => retryDelaySeconds(2));

    // Assess
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(240);
      expect(d).toBeLessThanOrEqual(360);
    }
    expect(new Set(delays).size).toBeGreaterThan(1);
  });
});
