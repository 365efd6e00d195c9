import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryView } from '../../lib/webhooks/schemas.js';
import { type Api, startApi, tenantItems } from '../helpers/api.js';
import { deadUrl, type Receiver, startReceiver, waitFor } from '../helpers/receiver.js';

// Webhooks end to end: the real local server with its in-process jobs (the sweeper is the local
// queue's worker), real receivers on 127.0.0.1, DynamoDB Local. A short retry schedule and sweep
// period are set before the first import of lib/config, and restored afterwards.

const saved = { ...process.env };
let api: Api;
let tenant: { tenantId: string; key: string };
const receivers: Receiver[] = [];

/** Every secret this file saw, and every log line, to check that none carries one. */
const secrets: string[] = [];
const logged: string[] = [];
const write = process.stdout.write.bind(process.stdout);

beforeAll(async () => {
  Object.assign(process.env, {
    WEBHOOK_RETRY_SCHEDULE: '1,1,1',
    WEBHOOK_SWEEP_SECONDS: '1',
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
  });
  process.stdout.write = ((chunk: string | Uint8Array) => {
    logged.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  api = await startApi({ jobs: true });
  tenant = await api.register('Hooks');
});

afterAll(async () => {
  await api.close();
  process.stdout.write = write;
  await Promise.all(receivers.map((r) => r.close()));
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

async function receiver(respond?: Parameters<typeof startReceiver>[0]) {
  const r = await startReceiver(respond);
  receivers.push(r);
  return r;
}

async function createHook(url: string, events = ['token.created'], key = tenant.key) {
  const res = await api.call('POST', '/v1/webhooks', { key, body: { url, events } });
  expect(res.status, res.text).toBe(201);
  secrets.push(res.body.secret);
  return res.body as { id: string; secret: string };
}

const newToken = () => ({
  provider: 'google',
  key: `user-${Math.random().toString(36).slice(2)}`,
  access_token: `ya29.${Math.random().toString(36).slice(2)}-ACCESS`,
  refresh_token: `1//${Math.random().toString(36).slice(2)}-REFRESH`,
  expires_in: 3600,
});

async function deliveries(webhookId: string, key = tenant.key) {
  const res = await api.call('GET', `/v1/webhooks/${webhookId}/deliveries`, { key });
  expect(res.status, res.text).toBe(200);
  return res.body.data as DeliveryView[];
}

/** Waits until the endpoint's newest delivery has reached a final status. */
function settled(webhookId: string, timeoutMs = 15_000) {
  return waitFor(
    async () => {
      const [d] = (await deliveries(webhookId)).filter((x) => x.status !== 'notice');
      return d && d.status !== 'pending' ? d : undefined;
    },
    timeoutMs,
    'the delivery to settle',
  );
}

describe('webhook endpoints API', () => {
  it('creates an endpoint and shows its secret once', async () => {
    const res = await api.call('POST', '/v1/webhooks', {
      key: tenant.key,
      body: {
        url: 'http://localhost:9/hook',
        events: ['token.created', 'token.deleted'],
        description: 'CRM',
      },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v1/webhooks/${res.body.id}`);
    expect(res.body).toMatchObject({
      url: 'http://localhost:9/hook',
      events: ['token.created', 'token.deleted'],
      description: 'CRM',
      status: 'active',
      disabled_reason: null,
    });
    expect(res.body.id).toMatch(/^whk_[0-9a-z]{26}$/);
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const got = await api.call('GET', `/v1/webhooks/${res.body.id}`, { key: tenant.key });
    expect(got.status).toBe(200);
    expect(got.body).not.toHaveProperty('secret');
    expect(got.text).not.toContain(res.body.secret.slice(6));
    const list = await api.call('GET', '/v1/webhooks', { key: tenant.key });
    expect(list.body.data.map((w: { id: string }) => w.id)).toContain(res.body.id);
    expect(list.text).not.toContain(res.body.secret.slice(6));

    // Stored sealed: the secret (or its key bytes) appears nowhere in the tenant's partition.
    const items = await tenantItems(tenant.tenantId);
    const item = items.find((i) => i.SK === `WEBHOOK#${res.body.id}`);
    expect(item?.secret_enc).toEqual(expect.any(String));
    expect(item).not.toHaveProperty('secret');
    expect(JSON.stringify(items)).not.toContain(res.body.secret.slice(6));
  });

  it('validates the body (422), including the URL policy', async () => {
    const post = (body: unknown) => api.call('POST', '/v1/webhooks', { key: tenant.key, body });
    const unknown = await post({ url: 'http://localhost/x', events: ['token.created'], extra: 1 });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toContainEqual({ path: 'body.extra', message: 'Unknown field.' });
    expect((await post({ url: 'http://localhost/x', events: [] })).status).toBe(422);
    expect((await post({ url: 'http://localhost/x', events: ['token.exploded'] })).status).toBe(422);
    expect((await post({ url: 'http://localhost/x', events: ['ping'] })).status).toBe(422);
    expect((await post({ url: 'ftp://localhost/x', events: ['token.created'] })).status).toBe(422);
    // Under npm start http is allowed for localhost only.
    const remote = await post({ url: 'http://example.com/x', events: ['token.created'] });
    expect(remote.status).toBe(422);
    expect(remote.body.errors[0].path).toBe('body.url');
    const empty = await api.call('PATCH', '/v1/webhooks/whk_x', { key: tenant.key, body: {} });
    expect(empty.status).toBe(422);
  });

  it('updates, disables and deletes', async () => {
    const hook = await createHook('http://localhost:9/a');
    const patched = await api.call('PATCH', `/v1/webhooks/${hook.id}`, {
      key: tenant.key,
      body: { events: ['token.refreshed'], description: 'renamed', status: 'disabled' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      events: ['token.refreshed'],
      description: 'renamed',
      status: 'disabled',
      disabled_reason: 'manual',
    });
    const test = await api.call('POST', `/v1/webhooks/${hook.id}/test`, { key: tenant.key });
    expect(test.status).toBe(409);
    const enabled = await api.call('PATCH', `/v1/webhooks/${hook.id}`, {
      key: tenant.key,
      body: { status: 'active', description: null },
    });
    expect(enabled.body).toMatchObject({ status: 'active', disabled_reason: null, description: null });

    expect((await api.call('DELETE', `/v1/webhooks/${hook.id}`, { key: tenant.key })).status).toBe(204);
    expect((await api.call('GET', `/v1/webhooks/${hook.id}`, { key: tenant.key })).status).toBe(404);
    expect((await api.call('DELETE', `/v1/webhooks/${hook.id}`, { key: tenant.key })).status).toBe(404);
  });

  it("answers another tenant's endpoint exactly like a missing one (404)", async () => {
    const hook = await createHook('http://localhost:9/b');
    const other = await api.register('Other');
    for (const [method, path, body] of [
      ['GET', `/v1/webhooks/${hook.id}`],
      ['PATCH', `/v1/webhooks/${hook.id}`, { description: 'x' }],
      ['DELETE', `/v1/webhooks/${hook.id}`],
      ['POST', `/v1/webhooks/${hook.id}/rotate-secret`],
      ['POST', `/v1/webhooks/${hook.id}/test`],
      ['GET', `/v1/webhooks/${hook.id}/deliveries`],
      ['POST', `/v1/webhooks/${hook.id}/deliveries/dlv_x/retry`],
    ] as const) {
      const res = await api.call(method, path, { key: other.key, body });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const list = await api.call('GET', '/v1/webhooks', { key: other.key });
    expect(list.body.data).toEqual([]);
    expect((await api.call('GET', `/v1/webhooks/${hook.id}`, { key: tenant.key })).status).toBe(200);
  });

  it('needs the admin scope', async () => {
    const k = await api.call('POST', '/v1/api-keys', {
      key: tenant.key,
      body: { name: 'writer', scopes: ['tokens:write', 'tokens:read'] },
    });
    const res = await api.call('GET', '/v1/webhooks', { key: k.body.api_key });
    expect(res.status).toBe(403);
    expect((await api.call('GET', '/v1/webhooks')).status).toBe(401);
  });
});

describe('delivery', () => {
  it('delivers token.created signed per Standard Webhooks, with metadata only', async () => {
    let secret = '';
    const verified: unknown[] = [];
    const refused: unknown[] = [];
    const r = await receiver((req) => {
      try {
        verified.push(new Webhook(secret).verify(req.body, req.headers as Record<string, string>));
        return 204;
      } catch (err) {
        refused.push(err);
        return 400;
      }
    });
    const hook = await createHook(r.url, ['token.created', 'token.deleted']);
    secret = hook.secret;
    const token = newToken();
    const created = await api.call('POST', '/v1/tokens', { key: tenant.key, body: token });
    expect(created.status).toBe(201);

    await waitFor(() => (r.received.length > 0 ? true : undefined), 10_000, 'a delivery');
    expect(refused).toEqual([]);
    expect(verified).toHaveLength(1);
    const [req] = r.received;
    const payload = JSON.parse(req?.body ?? '');
    expect(payload).toMatchObject({
      type: 'token.created',
      data: { token: { id: created.body.id, provider: 'google', key: token.key } },
    });
    expect(Date.parse(payload.timestamp)).not.toBeNaN();
    expect(req?.body).not.toContain(token.access_token);
    expect(req?.body).not.toContain(token.refresh_token);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['webhook-id']).toMatch(/^evt_/);

    const d = await settled(hook.id);
    expect(d).toMatchObject({
      status: 'succeeded',
      event_type: 'token.created',
      event_id: req?.headers['webhook-id'],
      attempts: 1,
      outcome: 'delivered',
      next_attempt_at: null,
    });
    expect(d.attempt_log).toEqual([
      { attempt: 1, at: expect.any(String), status_code: 204, duration_ms: expect.any(Number), error: null },
    ]);
    // The event left the pending index once fanned out.
    const event = (await tenantItems(tenant.tenantId)).find((i) => i.SK === `EVENT#${d.event_id}`);
    expect(event).toBeDefined();
    expect(event).not.toHaveProperty('GSI3PK');

    // Not subscribed to token.updated: nothing more arrives.
    await api.call('PUT', `/v1/tokens/${created.body.id}`, { key: tenant.key, body: { scopes: ['x'] } });
    await api.call('DELETE', `/v1/tokens/${created.body.id}`, { key: tenant.key });
    await waitFor(() => (r.received.length >= 2 ? true : undefined), 10_000, 'token.deleted');
    await new Promise((ok) => setTimeout(ok, 1500));
    expect(r.received.map((x) => JSON.parse(x.body).type)).toEqual(['token.created', 'token.deleted']);
    expect(verified).toHaveLength(2);
  });

  it('test sends a ping to that endpoint only', async () => {
    const a = await receiver();
    const b = await receiver();
    const hookA = await createHook(a.url);
    await createHook(b.url);
    const res = await api.call('POST', `/v1/webhooks/${hookA.id}/test`, { key: tenant.key });
    expect(res.status).toBe(202);
    expect(res.body.delivery_id).toMatch(/^dlv_/);
    await waitFor(() => (a.received.length > 0 ? true : undefined), 10_000, 'the ping');
    const payload = JSON.parse(a.received[0]?.body ?? '');
    expect(payload).toMatchObject({ type: 'ping', data: { webhook_id: hookA.id } });
    new Webhook(hookA.secret).verify(a.received[0]?.body ?? '', a.received[0]?.headers as never);
    const d = await settled(hookA.id);
    expect(d.id).toBe(res.body.delivery_id);
    await new Promise((ok) => setTimeout(ok, 1500));
    expect(b.received).toHaveLength(0);
  });

  it('retries a 500 with backoff and delivers once accepted, logging every attempt', async () => {
    const r = await receiver((_req, n) => (n <= 2 ? 500 : 200));
    const hook = await createHook(r.url);
    await api.call('POST', '/v1/tokens', { key: tenant.key, body: newToken() });
    const d = await settled(hook.id);
    expect(d.status).toBe('succeeded');
    expect(d.attempts).toBe(3);
    expect(d.attempt_log.map((a) => a.status_code)).toEqual([500, 500, 200]);
    expect(d.attempt_log[0]?.error).toBe('HTTP 500');
    expect(r.received).toHaveLength(3);
    // One message id across attempts, so the receiver can deduplicate.
    expect(new Set(r.received.map((x) => x.headers['webhook-id'])).size).toBe(1);
    // Backoff: about a second (±20%) between attempts, never immediately.
    const gaps = r.received.slice(1).map((x, i) => x.at - (r.received[i]?.at ?? 0));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(750);
    const endpoint = await api.call('GET', `/v1/webhooks/${hook.id}`, { key: tenant.key });
    expect(endpoint.body.status).toBe('active');
  });

  it('an endpoint down all along: the delivery ends failed, every attempt in the log', async () => {
    const hook = await createHook(await deadUrl());
    await api.call('POST', '/v1/tokens', { key: tenant.key, body: newToken() });
    const d = await settled(hook.id, 20_000);
    expect(d).toMatchObject({ status: 'failed', outcome: 'exhausted', attempts: 4, next_attempt_at: null });
    expect(d.attempt_log).toHaveLength(4);
    for (const a of d.attempt_log) {
      expect(a.status_code).toBeNull();
      expect(a.error).toMatch(/^network error: ECONNREFUSED/);
    }
    // It stays in the log; the endpoint is still active (it has not failed for days).
    const failed = await api.call('GET', `/v1/webhooks/${hook.id}/deliveries?status=failed`, {
      key: tenant.key,
    });
    expect(failed.body.data.map((x: { id: string }) => x.id)).toEqual([d.id]);
    const pending = await api.call('GET', `/v1/webhooks/${hook.id}/deliveries?status=pending`, {
      key: tenant.key,
    });
    expect(pending.body.data).toEqual([]);
    const items = await tenantItems(tenant.tenantId);
    const item = items.find((i) => i.SK === `DELIVERY#${hook.id}#${d.id}`);
    expect(item).not.toHaveProperty('GSI3PK');
    expect(item?.ttl).toEqual(expect.any(Number));
  });

  it('a manual retry of a failed delivery attempts it once more', async () => {
    let up = false;
    const r = await receiver(() => (up ? 200 : 503));
    const hook = await createHook(r.url);
    await api.call('POST', '/v1/tokens', { key: tenant.key, body: newToken() });
    const failed = await settled(hook.id, 20_000);
    expect(failed).toMatchObject({ status: 'failed', attempts: 4 });
    up = true;
    const retry = await api.call('POST', `/v1/webhooks/${hook.id}/deliveries/${failed.id}/retry`, {
      key: tenant.key,
    });
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ id: failed.id, status: 'pending' });
    const d = await settled(hook.id);
    expect(d).toMatchObject({ id: failed.id, status: 'succeeded', attempts: 5 });
    expect(r.received).toHaveLength(5);
    const again = await api.call('POST', `/v1/webhooks/${hook.id}/deliveries/dlv_nope/retry`, {
      key: tenant.key,
    });
    expect(again.status).toBe(404);
  });

  it('410 Gone disables the endpoint, with a webhook.disabled entry in its log', async () => {
    const r = await receiver(() => 410);
    const hook = await createHook(r.url);
    await api.call('POST', '/v1/tokens', { key: tenant.key, body: newToken() });
    const d = await settled(hook.id);
    expect(d).toMatchObject({ status: 'failed', outcome: 'gone', attempts: 1 });
    const endpoint = await api.call('GET', `/v1/webhooks/${hook.id}`, { key: tenant.key });
    expect(endpoint.body).toMatchObject({ status: 'disabled', disabled_reason: 'gone' });
    const log = await deliveries(hook.id);
    expect(log[0]).toMatchObject({
      status: 'notice',
      event_type: 'webhook.disabled',
      payload: { type: 'webhook.disabled', data: { webhook_id: hook.id, reason: 'gone' } },
    });
    // Nothing more is sent to it.
    await api.call('POST', '/v1/tokens', { key: tenant.key, body: newToken() });
    await new Promise((ok) => setTimeout(ok, 1500));
    expect(r.received).toHaveLength(1);
  });

  it('an endpoint failing for days is disabled, with a webhook.disabled entry in its log', async () => {
    const hook = await createHook(await deadUrl());
    // As if its deliveries had been failing since six days ago (WEBHOOK_DISABLE_AFTER_SECONDS: 5 days).
    const { ddb, tableName } = await import('../../lib/aws.js');
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { PK: `TENANT#${tenant.tenantId}`, SK: `WEBHOOK#${hook.id}` },
        UpdateExpression: 'SET first_failure_at = :at, consecutive_failures = :n',
        ExpressionAttributeValues: { ':at': new Date(Date.now() - 6 * 86_400_000).toISOString(), ':n': 40 },
      }),
    );
    await api.call('POST', '/v1/tokens', { key: tenant.key, body: newToken() });
    const d = await settled(hook.id);
    expect(d).toMatchObject({ status: 'failed', outcome: 'endpoint_disabled', attempts: 1 });
    const endpoint = await api.call('GET', `/v1/webhooks/${hook.id}`, { key: tenant.key });
    expect(endpoint.body).toMatchObject({ status: 'disabled', disabled_reason: 'failing' });
    const [notice] = await deliveries(hook.id);
    expect(notice).toMatchObject({
      status: 'notice',
      event_type: 'webhook.disabled',
      payload: { data: { webhook_id: hook.id, reason: 'failing' } },
    });
    // Re-enabling clears the failure history.
    await api.call('PATCH', `/v1/webhooks/${hook.id}`, { key: tenant.key, body: { status: 'active' } });
    const item = (await tenantItems(tenant.tenantId)).find((i) => i.SK === `WEBHOOK#${hook.id}`);
    expect(item).toMatchObject({ status: 'active', consecutive_failures: 0 });
    expect(item).not.toHaveProperty('first_failure_at');
  });

  it('rotate-secret: during the grace period both the old and the new secret verify', async () => {
    const r = await receiver();
    const hook = await createHook(r.url);
    const rotated = await api.call('POST', `/v1/webhooks/${hook.id}/rotate-secret`, { key: tenant.key });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(hook.secret);
    secrets.push(rotated.body.secret);
    expect(Date.parse(rotated.body.previous_secret_expires_at)).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(JSON.stringify(await tenantItems(tenant.tenantId))).not.toContain(rotated.body.secret.slice(6));

    await api.call('POST', `/v1/webhooks/${hook.id}/test`, { key: tenant.key });
    await waitFor(() => (r.received.length > 0 ? true : undefined), 10_000, 'the ping');
    const [req] = r.received;
    const headers = req?.headers as Record<string, string>;
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(new Webhook(hook.secret).verify(req?.body ?? '', headers)).toMatchObject({ type: 'ping' });
    expect(new Webhook(rotated.body.secret).verify(req?.body ?? '', headers)).toMatchObject({ type: 'ping' });
    const stranger = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect(() => new Webhook(stranger).verify(req?.body ?? '', headers)).toThrow();
  });

  it('pages the delivery log newest first', async () => {
    const r = await receiver();
    const hook = await createHook(r.url);
    for (let i = 0; i < 3; i++) await api.call('POST', `/v1/webhooks/${hook.id}/test`, { key: tenant.key });
    await waitFor(() => (r.received.length >= 3 ? true : undefined), 10_000, 'three pings');
    const first = await api.call('GET', `/v1/webhooks/${hook.id}/deliveries?limit=2`, { key: tenant.key });
    expect(first.body.data).toHaveLength(2);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await api.call(
      'GET',
      `/v1/webhooks/${hook.id}/deliveries?limit=2&cursor=${first.body.next_cursor}`,
      { key: tenant.key },
    );
    const ids = [...first.body.data, ...second.body.data].map((d: { id: string }) => d.id);
    expect(ids).toHaveLength(3);
    expect([...ids].sort().reverse()).toEqual(ids);
    expect(
      (await api.call('GET', `/v1/webhooks/${hook.id}/deliveries?limit=0`, { key: tenant.key })).status,
    ).toBe(422);
  });
});

describe('the log', () => {
  it('carries no webhook secret (even at DEBUG), though it records the deliveries', () => {
    const text = logged.join('');
    expect(text).toContain('Webhook delivered');
    expect(secrets.length).toBeGreaterThan(5);
    for (const secret of secrets) expect(text).not.toContain(secret.slice(6));
  });
});
