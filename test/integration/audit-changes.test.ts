import { createServer, type Server } from 'node:http';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Api, startApi, uniqueEmail } from '../helpers/api.js';
import { type AuditItem, auditItems, storeToken as storeTestToken } from '../helpers/audit.js';
import { acmeApp, type OAuthServer, startOAuthServer } from '../helpers/oauth-server.js';
import { startReceiver, waitFor } from '../helpers/receiver.js';

// Every change is audited in the same transaction as the change (issue 11), through the real local
// server and DynamoDB Local: one event per change with the right actor, target, outcome and the
// response's request id; none for a change that failed; no change whose event cannot commit; the
// jobs' own changes as `system`; and no plaintext secret anywhere in a tenant's trail.

let api: Api;
let idp: Server;
let idpUrl: string;
let oidc: OAuthServer;
/** What the test token endpoint answers next: a fresh token, or an OAuth error. */
let idpAnswer: 'ok' | 'invalid_grant' = 'ok';

beforeAll(async () => {
  api = await startApi();
  let grants = 0;
  idp = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      grants++;
      if (idpAnswer === 'invalid_grant') {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'invalid_grant' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          access_token: `SECRET-fresh-at-${grants}`,
          refresh_token: `SECRET-fresh-rt-${grants}`,
          token_type: 'Bearer',
          expires_in: 3600,
        }),
      );
    });
  });
  await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
  idpUrl = `http://127.0.0.1:${(idp.address() as { port: number }).port}`;
  oidc = await startOAuthServer({ redirectUris: [`${api.url}/v1/connect/callback`] });
});

afterAll(async () => {
  await oidc?.close();
  await api?.close();
  idp?.close();
});

afterEach(() => {
  vi.restoreAllMocks();
  idpAnswer = 'ok';
});

const aws = () => import('../../lib/aws.js');

type Item = AuditItem;

const ofAction = async (tenantId: string, action: string) =>
  (await auditItems(tenantId)).filter((e) => e.action === action);

/** The one event of `action` in the tenant's trail. */
async function theEvent(tenantId: string, action: string): Promise<Item> {
  const events = await ofAction(tenantId, action);
  expect(events, `${action} events`).toHaveLength(1);
  return events[0] as Item;
}

/** A tenant, its admin key and the admin key's id (the actor of its requests). */
async function tenant() {
  const t = await api.register();
  const keys = await api.call('GET', '/v1/api-keys', { key: t.key });
  return { ...t, keyId: keys.body.data[0].id as string };
}

const byKey = (keyId: string) => ({ type: 'api_key', id: keyId, name: expect.any(String) });

/** What every event of a request carries: its actor, outcome and the response's X-Request-Id. */
const fromRequest = (res: { headers: Headers }, keyId: string) => ({
  actor: byKey(keyId),
  outcome: 'success',
  request_id: res.headers.get('x-request-id'),
  source_ip: expect.stringMatching(/127\.0\.0\.1/),
});

const idpAppBody = () => ({
  provider: 'audit-idp',
  client_id: 'c',
  client_secret: 'SECRET-client-secret',
  redirect_urls: ['https://app.example.com/oauth'],
  custom: { name: 'Audit IdP', authorization_url: `${idpUrl}/auth`, token_url: `${idpUrl}/token` },
});

async function idpApp(key: string) {
  const res = await api.call('POST', '/v1/oauth-apps', { key, body: idpAppBody() });
  expect(res.status, res.text).toBe(201);
  return res;
}

const storeToken = (key: string, extra: Record<string, unknown> = {}) => storeTestToken(api, key, extra);

/** No plaintext the test used, nor the tenant's keys, anywhere in its trail. */
async function expectNoSecret(tenantId: string, plaintexts: string[]) {
  const raw = JSON.stringify(await auditItems(tenantId));
  expect(raw).not.toContain('SECRET');
  for (const p of plaintexts) expect(raw).not.toContain(p);
}

describe('registration and keys', () => {
  it('tenant.register: the registration is the actor, the tenant the target', async () => {
    // Act
    const res = await api.call('POST', '/v1/auth/register', { body: { email: uniqueEmail(), name: 'Reg' } });

    // Assess
    expect(res.status).toBe(201);

    // Act: read the new tenant's trail
    const tenantId = res.body.tenant.id as string;
    const e = await theEvent(tenantId, 'tenant.register');

    // Assess
    expect(e).toMatchObject({
      actor: { type: 'registration' },
      target: { type: 'tenant', id: tenantId },
      outcome: 'success',
      request_id: res.headers.get('x-request-id'),
    });
    await expectNoSecret(tenantId, [res.body.api_key]);
  });

  it('api_key.create and api_key.revoke; a failed revoke records nothing', async () => {
    // Prepare
    const t = await tenant();

    // Act
    const made = await api.call('POST', '/v1/api-keys', {
      key: t.key,
      body: { name: 'ci', scopes: ['tokens:read'] },
    });
    const revoked = await api.call('DELETE', `/v1/api-keys/${made.body.id}`, { key: t.key });
    const again = await api.call('DELETE', `/v1/api-keys/${made.body.id}`, { key: t.key });

    // Assess
    expect([made.status, revoked.status, again.status]).toEqual([201, 204, 404]);

    // Act: read the trail
    const createEvent = await theEvent(t.tenantId, 'api_key.create');
    const revokeEvent = await theEvent(t.tenantId, 'api_key.revoke');

    // Assess
    expect(createEvent).toMatchObject({
      ...fromRequest(made, t.keyId),
      target: { type: 'api_key', id: made.body.id },
    });
    expect(revokeEvent).toMatchObject({
      ...fromRequest(revoked, t.keyId),
      target: { type: 'api_key', id: made.body.id },
    });
    await expectNoSecret(t.tenantId, [t.key, made.body.api_key]);
  });

  it('agent_key.create and agent_key.revoke', async () => {
    // Prepare
    const t = await tenant();

    // Act
    const made = await api.call('POST', '/v1/agent-keys', {
      key: t.key,
      body: { name: 'bot', allow: [{ provider: 'google', key: 'u1' }], expires_in: 3600 },
    });

    // Assess
    expect(made.status, made.text).toBe(201);

    // Act
    const revoked = await api.call('DELETE', `/v1/agent-keys/${made.body.id}`, { key: t.key });

    // Assess
    expect(revoked.status).toBe(204);

    // Act: read the trail
    const createEvent = await theEvent(t.tenantId, 'agent_key.create');
    const revokeEvent = await theEvent(t.tenantId, 'agent_key.revoke');

    // Assess
    expect(createEvent).toMatchObject({
      ...fromRequest(made, t.keyId),
      target: { type: 'agent_key', id: made.body.id },
    });
    expect(revokeEvent).toMatchObject({
      ...fromRequest(revoked, t.keyId),
      target: { type: 'agent_key', id: made.body.id },
    });
    await expectNoSecret(t.tenantId, [made.body.key]);
  });

  it('data_key.rotate by the admin key', async () => {
    // Prepare
    const t = await tenant();

    // Act
    const res = await api.call('POST', '/v1/tenant/data-key/rotate', { key: t.key });

    // Assess
    expect(res.status).toBe(200);

    // Act: read the trail
    const e = await theEvent(t.tenantId, 'data_key.rotate');

    // Assess
    expect(e).toMatchObject({
      ...fromRequest(res, t.keyId),
      target: { type: 'data_key', id: String(res.body.data_key_version) },
    });
  });
});

describe('dashboard', () => {
  it('dashboard.sign_in and sign_out, as the admin key; the session named by its hash, never its cookie', async () => {
    // Prepare
    const t = await tenant();

    // Act: sign in
    const signIn = await api.call('POST', '/v1/dashboard/session', {
      body: { api_key: t.key },
      headers: { origin: api.url },
    });

    // Assess
    expect(signIn.status, signIn.text).toBe(201);

    // Act: sign out with the session's cookie
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const signOut = await api.call('DELETE', '/v1/dashboard/session', {
      headers: { cookie, 'sec-fetch-site': 'same-origin' },
    });

    // Assess
    expect(signOut.status, signOut.text).toBe(204);

    // Act: read the trail
    const inEvent = await theEvent(t.tenantId, 'dashboard.sign_in');
    const outEvent = await theEvent(t.tenantId, 'dashboard.sign_out');

    // Assess
    expect(inEvent).toMatchObject({ ...fromRequest(signIn, t.keyId), target: { type: 'session' } });
    expect(outEvent).toMatchObject({
      ...fromRequest(signOut, t.keyId),
      target: { type: 'session', id: inEvent.target.id },
    });
    await expectNoSecret(t.tenantId, [t.key, cookie.split('=')[1] as string]);
  });
});

describe('OAuth apps and webhooks', () => {
  it('oauth_app.create and delete; a 409 duplicate records nothing', async () => {
    // Prepare
    const t = await tenant();

    // Act
    const made = await idpApp(t.key);
    const dup = await api.call('POST', '/v1/oauth-apps', {
      key: t.key,
      body: { ...idpAppBody(), client_secret: 'SECRET-2' },
    });
    const gone = await api.call('DELETE', '/v1/oauth-apps/audit-idp', { key: t.key });

    // Assess
    expect([dup.status, gone.status]).toEqual([409, 204]);

    // Act: read the trail
    const createEvent = await theEvent(t.tenantId, 'oauth_app.create');
    const deleteEvent = await theEvent(t.tenantId, 'oauth_app.delete');

    // Assess
    expect(createEvent).toMatchObject({
      ...fromRequest(made, t.keyId),
      target: { type: 'oauth_app', id: 'audit-idp', provider: 'audit-idp' },
    });
    expect(deleteEvent).toMatchObject({
      ...fromRequest(gone, t.keyId),
      target: { type: 'oauth_app', id: 'audit-idp' },
    });
    await expectNoSecret(t.tenantId, []);
  });

  it('webhook.create, update, test, rotate_secret and delete', async () => {
    // Prepare
    const t = await tenant();
    const receiver = await startReceiver();

    // Act
    const made = await api.call('POST', '/v1/webhooks', {
      key: t.key,
      body: { url: `${receiver.url}/SECRET-path-token`, events: ['token.created'] },
    });

    // Assess
    expect(made.status, made.text).toBe(201);

    // Act
    const id = made.body.id as string;
    const updated = await api.call('PATCH', `/v1/webhooks/${id}`, { key: t.key, body: { description: 'x' } });
    const ping = await api.call('POST', `/v1/webhooks/${id}/test`, { key: t.key });

    // Assess
    expect(ping.status, ping.text).toBe(202);

    // Act: once the ping has arrived, rotate the secret and delete the endpoint
    await waitFor(() => (receiver.received.length > 0 ? true : undefined), 10_000, 'the ping');
    const rotated = await api.call('POST', `/v1/webhooks/${id}/rotate-secret`, { key: t.key });
    const deleted = await api.call('DELETE', `/v1/webhooks/${id}`, { key: t.key });
    await receiver.close();

    // Assess
    expect([updated.status, rotated.status, deleted.status]).toEqual([200, 200, 204]);

    // Act: read the trail
    const createEvent = await theEvent(t.tenantId, 'webhook.create');
    const updateEvent = await theEvent(t.tenantId, 'webhook.update');
    const testEvent = await theEvent(t.tenantId, 'webhook.test');
    const rotateEvent = await theEvent(t.tenantId, 'webhook.rotate_secret');
    const deleteEvent = await theEvent(t.tenantId, 'webhook.delete');

    // Assess
    const target = { type: 'webhook', id };
    expect(createEvent).toMatchObject({
      ...fromRequest(made, t.keyId),
      target,
    });
    expect(updateEvent).toMatchObject({
      ...fromRequest(updated, t.keyId),
      target,
    });
    expect(testEvent).toMatchObject({
      ...fromRequest(ping, t.keyId),
      target,
    });
    expect(rotateEvent).toMatchObject({
      ...fromRequest(rotated, t.keyId),
      target,
    });
    expect(deleteEvent).toMatchObject({
      ...fromRequest(deleted, t.keyId),
      target,
    });
    await expectNoSecret(t.tenantId, [made.body.secret, rotated.body.secret]);
  });
});

describe('tokens', () => {
  it('token.create, update and delete, with provider and key in the target', async () => {
    // Prepare
    const t = await tenant();

    // Act
    const made = await storeToken(t.key);
    const id = made.body.id as string;
    const updated = await api.call('PUT', `/v1/tokens/${id}`, {
      key: t.key,
      body: { access_token: 'ya29.SECRET-NEW' },
    });
    const deleted = await api.call('DELETE', `/v1/tokens/${id}`, { key: t.key });

    // Assess
    expect([updated.status, deleted.status]).toEqual([200, 204]);

    // Act: read the trail
    const createEvent = await theEvent(t.tenantId, 'token.create');
    const updateEvent = await theEvent(t.tenantId, 'token.update');
    const deleteEvent = await theEvent(t.tenantId, 'token.delete');

    // Assess
    const target = { type: 'token', id, provider: 'google', key: made.body.key };
    expect(createEvent).toMatchObject({
      ...fromRequest(made, t.keyId),
      target,
    });
    expect(updateEvent).toMatchObject({
      ...fromRequest(updated, t.keyId),
      target,
    });
    expect(deleteEvent).toMatchObject({
      ...fromRequest(deleted, t.keyId),
      target,
    });
    await expectNoSecret(t.tenantId, ['ya29.', '1//']);
  });

  it('a 409 duplicate token records nothing', async () => {
    // Prepare
    const t = await tenant();
    await storeToken(t.key, { key: 'same' });

    // Act
    const dup = await api.call('POST', '/v1/tokens', {
      key: t.key,
      body: { provider: 'google', key: 'same', access_token: 'SECRET-dup' },
    });
    const creates = await ofAction(t.tenantId, 'token.create');

    // Assess
    expect(dup.status).toBe(409);
    expect(creates).toHaveLength(1);
  });

  it('fails closed: when the event cannot commit, the change does not happen', async () => {
    // Prepare
    const t = await tenant();
    const { ddb } = await aws();
    const send = ddb.send.bind(ddb);
    // DynamoDB Local itself refuses the event: its Put is made conditional on the item existing, so
    // the real transaction is cancelled, taking the token (and everything with it) down too.
    vi.spyOn(ddb, 'send').mockImplementation(((command: unknown, ...rest: unknown[]) => {
      if (command instanceof TransactWriteCommand) {
        for (const item of command.input.TransactItems ?? []) {
          if (item.Put?.Item?.type === 'audit') item.Put.ConditionExpression = 'attribute_exists(PK)';
        }
      }
      return (send as (...a: unknown[]) => unknown)(command, ...rest);
    }) as typeof ddb.send);

    // Act
    const res = await api.call('POST', '/v1/tokens', {
      key: t.key,
      body: { provider: 'google', key: 'refused', access_token: 'SECRET-refused' },
    });
    const hook = await api.call('POST', '/v1/webhooks', {
      key: t.key,
      body: { url: 'https://hooks.example.com/x', events: ['token.created'] },
    });
    vi.restoreAllMocks();
    const list = await api.call('GET', '/v1/tokens', { key: t.key });
    const hooks = await api.call('GET', '/v1/webhooks', { key: t.key });
    const creates = await ofAction(t.tenantId, 'token.create');

    // Assess
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(hook.status).toBeGreaterThanOrEqual(400);
    expect(list.body.data).toEqual([]);
    expect(hooks.body.data).toEqual([]);
    expect(creates).toEqual([]);

    // Act: once events commit again, so does the change
    const stored = await storeToken(t.key);

    // Assess
    expect(stored.status).toBe(201);
  });

  it('token.refresh: forced by a key (its actor), and a failure that changes the status (outcome error)', async () => {
    // Prepare
    const t = await tenant();
    await idpApp(t.key);
    const token = await storeToken(t.key, { provider: 'audit-idp' });
    const id = token.body.id as string;

    // Act: a forced refresh
    const forced = await api.call('POST', `/v1/tokens/${id}/refresh`, { key: t.key });

    // Assess
    expect(forced.status).toBe(200);

    // Act: a refresh the IdP refuses
    idpAnswer = 'invalid_grant';
    const failed = await api.call('POST', `/v1/tokens/${id}/refresh`, { key: t.key });

    // Assess
    expect(failed.status).toBe(409);

    // Act: read the trail and the token
    const refreshes = await ofAction(t.tenantId, 'token.refresh');
    const after = await api.call('GET', `/v1/tokens/${id}`, { key: t.key });

    // Assess
    const target = { type: 'token', id, provider: 'audit-idp', key: token.body.key };
    expect(refreshes.find((e) => e.outcome === 'success')).toMatchObject({
      ...fromRequest(forced, t.keyId),
      target,
    });
    expect(refreshes.find((e) => e.outcome === 'error')).toMatchObject({
      actor: byKey(t.keyId),
      target,
      request_id: failed.headers.get('x-request-id'),
    });
    expect(refreshes).toHaveLength(2);
    expect(after.body.status).toBe('needs_reauth');
    await expectNoSecret(t.tenantId, ['fresh-at-', 'fresh-rt-']);
  });

  it('token.refresh by the system: on demand (a read near expiry) and the scheduled job', async () => {
    // Prepare
    const t = await tenant();
    await idpApp(t.key);
    // Expiring within the margin: a read refreshes it first, and it is due for the job.
    const onDemand = await storeToken(t.key, { provider: 'audit-idp', expires_in: 5 });
    const scheduled = await storeToken(t.key, { provider: 'audit-idp', expires_in: 5 });

    // Act: a read near expiry
    const read = await api.call('GET', `/v1/tokens/${onDemand.body.id}`, { key: t.key });

    // Assess
    expect(read.status).toBe(200);
    expect(read.body.access_token).toMatch(/^SECRET-fresh-at-/);

    // Act: the scheduled job, then read the trail
    const { refreshDue } = await import('../../lib/refresh/job.js');
    await refreshDue(() => 30_000);
    const refreshes = await ofAction(t.tenantId, 'token.refresh');

    // Assess
    const of = (id: string) => refreshes.filter((e) => e.target.id === id);
    expect(of(onDemand.body.id)).toEqual([
      expect.objectContaining({
        actor: { type: 'system', name: 'RefreshOnDemand' },
        outcome: 'success',
        target: expect.objectContaining({ provider: 'audit-idp' }),
      }),
    ]);
    expect(of(scheduled.body.id)).toEqual([
      expect.objectContaining({ actor: { type: 'system', name: 'RefreshDue' }, outcome: 'success' }),
    ]);
    await expectNoSecret(t.tenantId, ['fresh-at-', 'fresh-rt-']);
  });
});

describe('connect', () => {
  async function acmeTenant() {
    const t = await tenant();
    const app = await api.call('POST', '/v1/oauth-apps', {
      key: t.key,
      body: acmeApp(oidc, { scopes: ['read', 'write'] }),
    });
    expect(app.status, app.text).toBe(201);
    return t;
  }

  async function callback(key: string, body: Record<string, unknown>) {
    const session = await api.call('POST', '/v1/connect/sessions', {
      key,
      body: { provider: 'acme', key: 'user-7', redirect_url: 'https://app.example.com/oauth', ...body },
    });
    expect(session.status, session.text).toBe(201);
    const cb = await oidc.authorize(session.body.authorization_url);
    const res = await api.call('GET', `${cb.pathname}${cb.search}`);
    expect(res.status, res.text).toBe(302);
    return { res, back: new URL(res.headers.get('location') as string) };
  }

  it('the callback storing a token (confirm: false) records token.create as the system callback', async () => {
    // Prepare
    const t = await acmeTenant();

    // Act
    const { res, back } = await callback(t.key, { confirm: false });
    const tokenId = back.searchParams.get('token_id');

    // Assess
    expect(tokenId, back.toString()).toBeTruthy();

    // Act: read the trail
    const created = await theEvent(t.tenantId, 'token.create');
    const session = await theEvent(t.tenantId, 'connect.session_create');

    // Assess
    expect(created).toMatchObject({
      actor: { type: 'system', name: 'ConnectCallback' },
      target: { type: 'token', id: tokenId, provider: 'acme', key: 'user-7' },
      outcome: 'success',
      request_id: res.headers.get('x-request-id'),
    });
    // The session, by the key that started it, named by its state's hash (the state travels in URLs).
    expect(session).toMatchObject({
      actor: byKey(t.keyId),
      target: {
        type: 'connect_session',
        id: expect.any(String),
        provider: 'acme',
        key: 'user-7',
      },
    });
    await expectNoSecret(t.tenantId, [oidc.clientSecret]);
  });

  it('the exchange records token.create by the exchanging key; a used code records nothing more', async () => {
    // Prepare
    const t = await acmeTenant();

    // Act: connect, coming back with a code
    const { back } = await callback(t.key, {});
    const code = back.searchParams.get('connect_code') as string;

    // Assess
    expect(code).toBeTruthy();

    // Act: exchange the code, twice
    const ex = await api.call('POST', '/v1/connect/exchange', { key: t.key, body: { connect_code: code } });
    const again = await api.call('POST', '/v1/connect/exchange', {
      key: t.key,
      body: { connect_code: code },
    });

    // Assess
    expect([ex.status, again.status]).toEqual([200, 400]);

    // Act: read the trail
    const created = await theEvent(t.tenantId, 'token.create');

    // Assess
    expect(created).toMatchObject({
      ...fromRequest(ex, t.keyId),
      target: { type: 'token', id: ex.body.id, provider: 'acme', key: 'user-7' },
    });
    await expectNoSecret(t.tenantId, [code]);
  });
});

describe('denied attempts on write routes', () => {
  it('a 403 for a missing scope is recorded for the caller', async () => {
    // Prepare
    const t = await tenant();
    const narrow = await api.call('POST', '/v1/api-keys', {
      key: t.key,
      body: { name: 'ro', scopes: ['tokens:read'] },
    });
    const key = narrow.body.api_key as string;

    // Act
    const tries = [
      await api.call('POST', '/v1/api-keys', { key, body: { name: 'x', scopes: ['admin'] } }),
      await api.call('POST', '/v1/webhooks', {
        key,
        body: { url: 'https://h.example.com/', events: ['token.created'] },
      }),
      await api.call('POST', '/v1/tokens', {
        key,
        body: { provider: 'google', key: 'k', access_token: 'SECRET-x' },
      }),
      await api.call('POST', '/v1/tenant/data-key/rotate', { key }),
    ];
    const denied = (await auditItems(t.tenantId)).filter((e) => e.outcome === 'denied');

    // Assess
    expect(tries.map((r) => r.status)).toEqual([403, 403, 403, 403]);
    expect(denied.map((e) => e.action).sort()).toEqual(
      ['api_key.create', 'data_key.rotate', 'token.create', 'webhook.create'].sort(),
    );
    for (const e of denied) expect(e.actor).toMatchObject({ type: 'api_key', id: narrow.body.id });
    expect(denied.map((e) => e.request_id).sort()).toEqual(
      tries.map((r) => r.headers.get('x-request-id')).sort(),
    );
  });

  it("a 404 on another tenant's webhook, API key or agent key is recorded for the owner", async () => {
    // Prepare
    const owner = await tenant();
    const other = await tenant();
    const hook = await api.call('POST', '/v1/webhooks', {
      key: owner.key,
      body: { url: 'https://h.example.com/', events: ['token.created'] },
    });
    const agent = await api.call('POST', '/v1/agent-keys', {
      key: owner.key,
      body: { name: 'bot', allow: [{ provider: 'google', key: 'u1' }], expires_in: 3600 },
    });

    // Act
    const tries = [
      await api.call('DELETE', `/v1/webhooks/${hook.body.id}`, { key: other.key }),
      await api.call('POST', `/v1/webhooks/${hook.body.id}/rotate-secret`, { key: other.key }),
      await api.call('DELETE', `/v1/api-keys/${owner.keyId}`, { key: other.key }),
      await api.call('DELETE', `/v1/agent-keys/${agent.body.id}`, { key: other.key }),
    ];
    const missing = await api.call('DELETE', '/v1/webhooks/whk_missing', { key: other.key });
    const denied = (await auditItems(owner.tenantId)).filter((e) => e.outcome === 'denied');
    const ownHook = await api.call('GET', `/v1/webhooks/${hook.body.id}`, { key: owner.key });
    const otherTrail = await auditItems(other.tenantId);

    // Assess
    expect(tries.map((r) => r.status)).toEqual([404, 404, 404, 404]);
    for (const r of tries.slice(0, 2)) {
      expect({ ...r.body, request_id: 'x' }).toEqual({ ...missing.body, request_id: 'x' });
    }
    expect(denied.map((e) => [e.action, e.target.id]).sort()).toEqual(
      [
        ['webhook.delete', hook.body.id],
        ['webhook.rotate_secret', hook.body.id],
        ['api_key.revoke', owner.keyId],
        ['agent_key.revoke', agent.body.id],
      ].sort(),
    );
    for (const e of denied) expect(e.actor).toMatchObject({ type: 'api_key', id: other.keyId });
    // Nothing changed for the owner, and nothing about the attempts is in the caller's trail.
    expect(ownHook.status).toBe(200);
    expect(otherTrail.filter((e) => e.outcome === 'denied')).toEqual([]);
  });
});
