import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { retryDelaySeconds } from '../../../lib/webhooks/deliver.js';
import { newSecret, signedHeaders } from '../../../lib/webhooks/signing.js';

describe('signing', () => {
  it('makes Standard Webhooks secrets: whsec_ + base64 of 32 random bytes', () => {
    // Act
    const a = newSecret();
    const b = newSecret();

    // Assess
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32);
    expect(b).not.toBe(a);
  });

  it('signs so that the standardwebhooks library verifies, with each of several secrets', () => {
    // Prepare
    const [oldSecret, newer] = [newSecret(), newSecret()];
    const body = JSON.stringify({ type: 'ping', timestamp: new Date().toISOString(), data: {} });

    // Act
    const headers = signedHeaders([newer, oldSecret], 'evt_1', new Date(), body);

    // Assess
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
    // Act: default schedule 5,300,1800,7200,18000,36000,36000.
    const first = [retryDelaySeconds(1, () => 0), retryDelaySeconds(1, () => 1)];
    const second = retryDelaySeconds(2, () => 0.5);
    const last = retryDelaySeconds(7, () => 0.5);
    const beyond = retryDelaySeconds(8);

    // Assess
    expect(first[0]).toBeCloseTo(4);
    expect(first[1]).toBeCloseTo(6);
    expect(second).toBeCloseTo(300);
    expect(last).toBeCloseTo(36000);
    expect(beyond).toBeNull();
  });
});
