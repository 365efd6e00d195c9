import { describe, expect, it } from 'vitest';
import { HttpClient, parseRetryAfter } from '../../sdk/src/http.js';

// The SDK's transport rules that need no server: Retry-After parsing, which answers are retried,
// and the idempotency key (one per call, the same on every retry). The fetch here is a stub that
// records calls; the end-to-end behaviour is in sdk.test.ts against the real server.

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and ignores garbage', () => {
    // Prepare
    const inTen = new Date(Date.now() + 10_000).toUTCString();
    const minuteAgo = new Date(Date.now() - 60_000).toUTCString();

    // Act
    const [seconds, none, garbage, future, past] = ['7', null, 'soon', inTen, minuteAgo].map(parseRetryAfter);

    // Assess
    expect(seconds).toBe(7);
    expect(none).toBeUndefined();
    expect(garbage).toBeUndefined();
    expect(future).toBeGreaterThanOrEqual(9);
    expect(past).toBe(0);
  });
});

function stub(statuses: number[], headers: Record<string, string> = {}) {
  const calls: { method: string; key: string | null }[] = [];
  const fetch = (async (_url: URL, init: RequestInit) => {
    const h = new Headers(init.headers);
    calls.push({ method: String(init.method), key: h.get('idempotency-key') });
    const status = statuses[Math.min(calls.length - 1, statuses.length - 1)] ?? 200;
    return new Response(status === 204 ? null : JSON.stringify({ status }), { status, headers });
  }) as typeof globalThis.fetch;
  return { calls, fetch };
}

describe('HttpClient', () => {
  const opts = { baseUrl: 'http://vault.test', apiKey: 'k', retryBaseDelayMs: 1 };

  it('retries 5xx and 429 with one idempotency key per call', async () => {
    // Prepare
    const s = stub([500, 429, 201]);
    const http = new HttpClient({ ...opts, fetch: s.fetch, maxRetries: 2 });
    const next = stub([201]);

    // Act
    await http.request('POST', '/v1/tokens', { body: {} });
    await new HttpClient({ ...opts, fetch: next.fetch }).request('POST', '/v1/tokens', { body: {} });

    // Assess
    expect(s.calls).toHaveLength(3);
    expect(new Set(s.calls.map((c) => c.key)).size).toBe(1);
    expect(next.calls[0]?.key).not.toBe(s.calls[0]?.key);
  });

  it('does not retry other 4xx, nor a 409 without Retry-After; does retry a 409 with it', async () => {
    for (const status of [400, 401, 404, 409, 422]) {
      // Prepare
      const s = stub([status, 200]);

      // Act
      const attempt = new HttpClient({ ...opts, fetch: s.fetch }).request('GET', '/x');

      // Assess
      await expect(attempt).rejects.toMatchObject({ status });
      expect(s.calls).toHaveLength(1);
    }

    // Prepare
    const s = stub([409, 200], { 'retry-after': '0' });

    // Act
    await new HttpClient({ ...opts, fetch: s.fetch }).request('POST', '/x');

    // Assess
    expect(s.calls).toHaveLength(2);
  });

  it('sends no idempotency key on GET, and the caller’s own key when given', async () => {
    // Prepare
    const s = stub([200]);
    const http = new HttpClient({ ...opts, fetch: s.fetch });

    // Act
    await http.request('GET', '/x');
    await http.request('DELETE', '/x', { idempotencyKey: 'mine' });

    // Assess
    expect(s.calls.map((c) => c.key)).toEqual([null, 'mine']);
  });
});
