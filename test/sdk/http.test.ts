import { describe, expect, it } from 'vitest';
import { HttpClient, parseRetryAfter } from '../../sdk/src/http.js';

// The SDK's transport rules that need no server: Retry-After parsing, which answers are retried,
// and the idempotency key (one per call, the same on every retry). The fetch here is a stub that
// records calls; the end-to-end behaviour is in sdk.test.ts against the real server.

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and ignores garbage', () => {
    expect(parseRetryAfter('7')).toBe(7);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    const inTen = new Date(Date.now() + 10_000).toUTCString();
    expect(parseRetryAfter(inTen)).toBeGreaterThanOrEqual(9);
    expect(parseRetryAfter(new Date(Date.now() - 60_000).toUTCString())).toBe(0);
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
    const s = stub([500, 429, 201]);
    const http = new HttpClient({ ...opts, fetch: s.fetch, maxRetries: 2 });
    await http.request('POST', '/v1/tokens', { body: {} });
    expect(s.calls).toHaveLength(3);
    expect(new Set(s.calls.map((c) => c.key)).size).toBe(1);
    const next = stub([201]);
    await new HttpClient({ ...opts, fetch: next.fetch }).request('POST', '/v1/tokens', { body: {} });
    expect(next.calls[0]?.key).not.toBe(s.calls[0]?.key);
  });

  it('does not retry other 4xx, nor a 409 without Retry-After; does retry a 409 with it', async () => {
    for (const status of [400, 401, 404, 409, 422]) {
      const s = stub([status, 200]);
      await expect(new HttpClient({ ...opts, fetch: s.fetch }).request('GET', '/x')).rejects.toMatchObject({
        status,
      });
      expect(s.calls).toHaveLength(1);
    }
    const s = stub([409, 200], { 'retry-after': '0' });
    await new HttpClient({ ...opts, fetch: s.fetch }).request('POST', '/x');
    expect(s.calls).toHaveLength(2);
  });

  it('sends no idempotency key on GET, and the caller’s own key when given', async () => {
    const s = stub([200]);
    const http = new HttpClient({ ...opts, fetch: s.fetch });
    await http.request('GET', '/x');
    await http.request('DELETE', '/x', { idempotencyKey: 'mine' });
    expect(s.calls.map((c) => c.key)).toEqual([null, 'mine']);
  });
});
