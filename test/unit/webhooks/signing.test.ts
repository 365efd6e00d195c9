import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { retryDelaySeconds } from '../../../lib/webhooks/deliver.js';
import { newSecret, signedHeaders } from '../../../lib/webhooks/signing.js';

describe('signing', () => {
  it('makes Standard Webhooks secrets: whsec_ + base64 of 32 random bytes', () => {
    const a = newSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32);
    expect(newSecret()).not.toBe(a);
  });

  it('signs so that the standardwebhooks library verifies, with each of several secrets', () => {
    const [oldSecret, newer] = [newSecret(), newSecret()];
    const body = JSON.stringify({ type: 'ping', timestamp: new Date().toISOString(), data: {} });
    const headers = signedHeaders([newer, oldSecret], 'evt_1', new Date(), body);
    expect(headers['webhook-id']).toBe('evt_1');
    expect(headers['webhook-timestamp']).toMatch(/^\d{10}$/);
    expect(headers['webhook-signature']).toMatch(/^v1,\S+ v1,\S+$/);
    expect(new Webhook(newer).verify(body, headers)).toMatchObject({ type: 'ping' });
    expect(new Webhook(oldSecret).verify(body, headers)).toMatchObject({ type: 'ping' });
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(newer).verify(`${body} `, headers)).toThrow();
  });
});

describe('retry schedule', () => {
  it('applies ±20% jitter to the configured delay, and ends after the last', () => {
    // Default schedule 5,300,1800,7200,18000,36000,36000.
    expect(retryDelaySeconds(1, () => 0)).toBeCloseTo(4);
    expect(retryDelaySeconds(1, () => 1)).toBeCloseTo(6);
    expect(retryDelaySeconds(2, () => 0.5)).toBeCloseTo(300);
    expect(retryDelaySeconds(7, () => 0.5)).toBeCloseTo(36000);
    expect(retryDelaySeconds(8)).toBeNull();
  });
});
