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
    // Act
    const res = await api.call('POST', '/v1/webhooks', {
      key: tenant.key,
      body: {
        url: 'http://localhost:9/hook',
        events: ['token.created', 'token.deleted'],
        description: 'CRM',
      },
    });

    // Assess
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

    // Act
    const got = await api.call('GET', `/v1/webhooks/${res.body.id}`, { key: tenant.key });

    // Assess
    expect(got.status).toBe(200);
    expect(got.body).not.toHaveProperty('secret');
    expect(got.text).not.toContain(res.body.secret.slice(6));

    // Act
    const list = await api.call('GET', '/v1/webhooks', { key: tenant.key });

    // Assess
    expect(list.body.data.map((w: { id: string }) => w.id)).toContain(res.body.id);
    expect(list.text).not.toContain(res.body.secret.slice(6));

    // Assess: stored sealed: the secret (or its key bytes) appears nowhere in the tenant's partition.
    const items = await tenantItems(tenant.tenantId);
    const item = items.find((i) => i.SK === `WEBHOOK#${res.body.id}`);
    expect(item?.secret_enc).toEqual(expect.any(String));
    expect(item).not.toHaveProperty('secret');
    expect(JSON.stringify(items)).not.toContain(res.body.secret.slice(6));
  });

  it('validates the body (422), including the URL policy', async () => {
    // Prepare
    const post = (body: unknown) => api.call('POST', '/v1/webhooks', { key: tenant.key, body });

    // Act
    const unknown = await post({ url: 'http://localhost/x', events: ['token.created'], extra: 1 });
    const bad = [
      await post({ url: 'http://localhost/x', events: [] }),
      await post({ url: 'http://localhost/x', events: ['token.exploded'] }),
      await post({ url: 'http://localhost/x', events: ['ping'] }),
      await post({ url: 'ftp://localhost/x', events: ['token.created'] }),
    ];
    // Under npm start http is allowed for localhost only.
    const remote = await post({ url: 'http://example.com/x', events: ['token.created'] });
    const empty = await api.call('PATCH', '/v1/webhooks/whk_x', { key: tenant.key, body: {} });

    // Assess
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toContainEqual({ path: 'body.extra', message: 'Unknown field.' });
    expect(bad.map((r) => r.status)).toEqual([422, 422, 422, 422]);
    expect(remote.status).toBe(422);
    expect(remote.body.errors[0].path).toBe('body.url');
    expect(empty.status).toBe(422);
  });

  it('updates, disables and deletes', async () => {
    // Prepare
    const hook = await createHook('http://localhost:9/a');

    // Act
    const patched = await api.call('PATCH', `/v1/webhooks/${hook.id}`, {
      key: tenant.key,
      body: { events: ['token.refreshed'], description: 'renamed', status: 'disabled' },
    });

    // Assess
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      events: ['token.refreshed'],
      description: 'renamed',
      status: 'disabled',
      disabled_reason: 'manual',
    });

    // Act
    const test = await api.call('POST', `/v1/webhooks/${hook.id}/test`, { key: tenant.key });

    // Assess
    expect(test.status).toBe(409);

    // Act
    const enabled = await api.call('PATCH', `/v1/webhooks/${hook.id}`, {
      key: tenant.key,
      body: { status: 'active', description: null },
    });

    // Assess
    expect(enabled.body).toMatchObject({ status: 'active', disabled_reason: null, description: null });

    // Act
    const deleted = await api.call('DELETE', `/v1/webhooks/${hook.id}`, { key: tenant.key });
    const gone = await api.call('GET', `/v1/webhooks/${hook.id}`, { key: tenant.key });
    const again = await api.call('DELETE', `/v1/webhooks/${hook.id}`, { key: tenant.key });

    // Assess
    expect(deleted.status).toBe(204);
    expect(gone.status).toBe(404);
    expect(again.status).toBe(404);
  });

  it("answers another tenant's endpoint exactly like a missing one (404)", async () => {
    // Prepare
    const hook = await createHook('http://localhost:9/b');
    const other = await api.register('Other');

    // Act
    const answers = [];
    for (const [method, path, body] of [
      ['GET', `/v1/webhooks/${hook.id}`],
      ['PATCH', `/v1/webhooks/${hook.id}`, { description: 'x' }],
      ['DELETE', `/v1/webhooks/${hook.id}`],
      ['POST', `/v1/webhooks/${hook.id}/rotate-secret`],
      ['POST', `/v1/webhooks/${hook.id}/test`],
      ['GET', `/v1/webhooks/${hook.id}/deliveries`],
      ['POST', `/v1/webhooks/${hook.id}/deliveries/dlv_x/retry`],
    ] as const) {
      answers.push({
        call: `${method} ${path}`,
        res: await api.call(method, path, { key: other.key, body }),
      });
    }
    const list = await api.call('GET', '/v1/webhooks', { key: other.key });
    const own = await api.call('GET', `/v1/webhooks/${hook.id}`, { key: tenant.key });

    // Assess
    for (const { call, res } of answers) expect(res.status, call).toBe(404);
    expect(list.body.data).toEqual([]);
    expect(own.status).toBe(200);
  });

  it('needs the admin scope', async () => {
    // Prepare
    const k = await api.call('POST', '/v1/api-keys', {
      key: tenant.key,
      body: { name: 'writer', scopes: ['tokens:write', 'tokens:read'] },
    });

    // Act
    const res = await api.call('GET', '/v1/webhooks', { key: k.body.api_key });
    const anonymous = await api.call('GET', '/v1/webhooks');

    // Assess
    expect(res.status).toBe(403);
    expect(anonymous.status).toBe(401);
  });
});

describe('delivery', () => {
  it('delivers token.created signed per Standard Webhooks, with metadata only', async () => {
    // Prepare
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

    // Act
    const created = await api.call('POST', '/v1/tokens', { key: tenant.key, body: token });

    // Assess
    expect(created.status).toBe(201);

    // Act
    await waitFor(() => (r.received.length > 0 ? true : undefined), 10_000, 'a delivery');

    // Assess
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

    // Act
    const d = await settled(hook.id);

    // Assess
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

    // Act: not subscribed to token.updated: nothing more arrives.
    await api.call('PUT', `/v1/tokens/${created.body.id}`, { key: tenant.key, body: { scopes: ['x'] } });
    await api.call('DELETE', `/v1/tokens/${created.body.id}`, { key: tenant.key });
    await waitFor(() => (r.received.length >= 2 ? true : undefined), 10_000, 'token.deleted');

    // Assess
    await new Promise((ok) => setTimeout(ok, 1500));
    expect(r.received.map((x) => JSON.parse(x.body).type)).toEqual(['token.created', 'token.deleted']);
    expect(verified).toHaveLength(2);
  });

  it('test sends a ping to that endpoint only', async () => {
    // Prepare
    const a = await receiver();
    const b = await receiver();
    const hookA = await createHook(a.url);
    await createHook(b.url);

    // Act
    const res = await api.call('POST', `/v1/webhooks/${hookA.id}/test`, { key: tenant.key });

    // Assess
    expect(res.status).toBe(202);
    expect(res.body.delivery_id).toMatch(/^dlv_/);

    // Act
    await waitFor(() => (a.received.length > 0 ? true : undefined), 10_000, 'the ping');

    // Assess
    const payload = JSON.parse(a.received[0]?.body ?? '');
    expect(payload).toMatchObject({ type: 'ping', data: { webhook_id: hookA.id } });
    new Webhook(hookA.secret).verify(a.received[0]?.body ?? '', a.received[0]?.headers as never);

    // Act
    const d = await settled(hookA.id);

    // Assess
    expect(d.id).toBe(res.body.delivery_id);
    await new Promise((ok) => setTimeout(ok, 1500));
    expect(b.received).toHaveLength(0);
  });

  it('retries a 500 with backoff and delivers once accepted, logging every attempt', async () => {
    // Prepare
    const r = await receiver((_req, n) => (n <= 2 ? 500 : 200));
    const hook = await createHook(r.url);

    // Act
    await api.call('POST', '/v1/tokens', { key: tenant.key, body: newToken() });
    const d = await settled(hook.id);

    // Assess
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
    // Prepare
    const hook = await createHook(await deadUrl());

    // Act
    await api.call('POST', '/v1/tokens', { key: tenant.key, body: newToken() });
    const d = await settled(hook.id, 20_000);

    // Assess
    expect(d).toMatchObject({ status: 'failed', outcome: 'exhausted', attempts: 4, next_attempt_at: null });
    expect(d.attempt_log).toHaveLength(4);
    for (const a of d.attempt_log) {
      expect(a.status_code).toBeNull();
      expect(a.error).toMatch(/^network error: ECONNREFUSED/);
    }
    // It stays in the log; the endpoint is still active (it has not failed for days).

    // Act
    const failed = await api.call('GET', `/v1/webhooks/${hook.id}/deliveries?status=failed`, {
      key: tenant.key,
    });

    // Assess
    expect(failed.body.data.map((x: { id: string }) => x.id)).toEqual([d.id]);
    const pending = await api.call('GET', `/v1/webhooks/${hook.id}/deliveries?status=pending`, {
      key: tenant.key,
    });
    expect(pending.body.data).toEqual([]);

    // Act
    const items = await tenantItems(tenant.tenantId);
    const item = items.find((i) => i.SK === `DELIVERY#${hook.id}#${d.id}`);

    // Assess
    expect(item).not.toHaveProperty('GSI3PK');
    expect(item?.ttl).toEqual(expect.any(Number));
  });

  it('a manual retry of a failed delivery attempts it once more', async () => {
    // Prepare
    let up = false;
    const r = await receiver(() => (up ? 200 : 503));
    const hook = await createHook(r.url);

    // Act
    await api.call('POST', '/v1/tokens', { key: tenant.key, body: newToken() });
    const failed = await settled(hook.id, 20_000);

    // Assess
    expect(failed).toMatchObject({ status: 'failed', attempts: 4 });

    // Act
    up = true;
    const retry = await api.call('POST', `/v1/webhooks/${hook.id}/deliveries/${failed.id}/retry`, {
      key: tenant.key,
    });

    // Assess
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ id: failed.id, status: 'pending' });

    // Act
    const d = await settled(hook.id);

    // Assess
    expect(d).toMatchObject({ id: failed.id, status: 'succeeded', attempts: 5 });
    expect(r.received).toHaveLength(5);

    // Act
    const again = await api.call('POST', `/v1/webhooks/${hook.id}/deliveries/dlv_nope/retry`, {
      key: tenant.key,
    });

    // Assess
    expect(again.status).toBe(404);
  });

  it('410 Gone disables the endpoint, with a webhook.disabled entry in its log', async () => {
    // Prepare
    const r = await receiver(() => 410);
    const hook = await createHook(r.url);

    // Act
    await api.call('POST', '/v1/tokens', { key: tenant.key, body: newToken() });
    const d = await settled(hook.id);

    // Assess
    expect(d).toMatchObject({ status: 'failed', outcome: 'gone', attempts: 1 });
    const endpoint = await api.call('GET', `/v1/webhooks/${hook.id}`, { key: tenant.key });
    expect(endpoint.body).toMatchObject({ status: 'disabled', disabled_reason: 'gone' });
    const log = await deliveries(hook.id);
    expect(log[0]).toMatchObject({
      status: 'notice',
      event_type: 'webhook.disabled',
      payload: { type: 'webhook.disabled', data: { webhook_id: hook.id, reason: 'gone' } },
    });
    // The worker's own change, audited as the system's in the same transaction.
    const audit = await api.call('GET', `/v1/audit-events?action=webhook.disable&target_id=${hook.id}`, {
      key: tenant.key,
    });
    expect(audit.body.data).toEqual([
      expect.objectContaining({
        actor: { type: 'system', name: 'WebhookWorker' },
        target: { type: 'webhook', id: hook.id },
        outcome: 'success',
      }),
    ]);

    // Act: nothing more is sent to it.
    await api.call('POST', '/v1/tokens', { key: tenant.key, body: newToken() });
    await new Promise((ok) => setTimeout(ok, 1500));

    // Assess
    expect(r.received).toHaveLength(1);
  });

  it('an endpoint failing for days is disabled, with a webhook.disabled entry in its log', async () => {
    // Prepare
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

    // Act
    await api.call('POST', '/v1/tokens', { key: tenant.key, body: newToken() });
    const d = await settled(hook.id);

    // Assess
    expect(d).toMatchObject({ status: 'failed', outcome: 'endpoint_disabled', attempts: 1 });
    const endpoint = await api.call('GET', `/v1/webhooks/${hook.id}`, { key: tenant.key });
    expect(endpoint.body).toMatchObject({ status: 'disabled', disabled_reason: 'failing' });
    const [notice] = await deliveries(hook.id);
    expect(notice).toMatchObject({
      status: 'notice',
      event_type: 'webhook.disabled',
      payload: { data: { webhook_id: hook.id, reason: 'failing' } },
    });

    // Act: re-enabling clears the failure history.
    await api.call('PATCH', `/v1/webhooks/${hook.id}`, { key: tenant.key, body: { status: 'active' } });
    const item = (await tenantItems(tenant.tenantId)).find((i) => i.SK === `WEBHOOK#${hook.id}`);

    // Assess
    expect(item).toMatchObject({ status: 'active', consecutive_failures: 0 });
    expect(item).not.toHaveProperty('first_failure_at');
  });

  it('rotate-secret: during the grace period both the old and the new secret verify', async () => {
    // Prepare
    const r = await receiver();
    const hook = await createHook(r.url);

    // Act
    const rotated = await api.call('POST', `/v1/webhooks/${hook.id}/rotate-secret`, { key: tenant.key });

    // Assess
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(hook.secret);
    secrets.push(rotated.body.secret);
    expect(Date.parse(rotated.body.previous_secret_expires_at)).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(JSON.stringify(await tenantItems(tenant.tenantId))).not.toContain(rotated.body.secret.slice(6));

    // Act
    await api.call('POST', `/v1/webhooks/${hook.id}/test`, { key: tenant.key });
    await waitFor(() => (r.received.length > 0 ? true : undefined), 10_000, 'the ping');
    const [req] = r.received;
    const headers = req?.headers as Record<string, string>;

    // Assess
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(new Webhook(hook.secret).verify(req?.body ?? '', headers)).toMatchObject({ type: 'ping' });
    expect(new Webhook(rotated.body.secret).verify(req?.body ?? '', headers)).toMatchObject({ type: 'ping' });
    const stranger = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect(() => new Webhook(stranger).verify(req?.body ?? '', headers)).toThrow();
  });

  it('pages the delivery log newest first', async () => {
    // Prepare
    const r = await receiver();
    const hook = await createHook(r.url);

    // Act
    for (let i = 0; i < 3; i++) await api.call('POST', `/v1/webhooks/${hook.id}/test`, { key: tenant.key });
    await waitFor(() => (r.received.length >= 3 ? true : undefined), 10_000, 'three pings');
    const first = await api.call('GET', `/v1/webhooks/${hook.id}/deliveries?limit=2`, { key: tenant.key });

    // Assess
    expect(first.body.data).toHaveLength(2);
    expect(first.body.next_cursor).toEqual(expect.any(String));

    // Act
    const second = await api.call(
      'GET',
      `/v1/webhooks/${hook.id}/deliveries?limit=2&cursor=${first.body.next_cursor}`,
      { key: tenant.key },
    );

    // Assess
    const ids = [...first.body.data, ...second.body.data].map((d: { id: string }) => d.id);
    expect(ids).toHaveLength(3);
    expect([...ids].sort().reverse()).toEqual(ids);

    // Act
    const zero = await api.call('GET', `/v1/webhooks/${hook.id}/deliveries?limit=0`, { key: tenant.key });

    // Assess
    expect(zero.status).toBe(422);
  });
});

describe('the log', () => {
  it('carries no webhook secret (even at DEBUG), though it records the deliveries', () => {
    // Act
    const text = logged.join('');

    // Assess
    expect(text).toContain('Webhook delivered');
    expect(secrets.length).toBeGreaterThan(5);
    for (const secret of secrets) expect(text).not.toContain(secret.slice(6));
  });
});
