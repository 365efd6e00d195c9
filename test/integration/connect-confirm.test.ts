import { createHash } from 'node:crypto';
import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi, tenantItems } from '../helpers/api.js';
import { acmeApp, type OAuthServer, startOAuthServer } from '../helpers/oauth-server.js';
import { type Receiver, startReceiver, waitFor } from '../helpers/receiver.js';

// A connect link is bound to the app's user (RFC 6749 §10.12): by default the callback hands the
// app a one-time connect_code and the token exists only once the app's backend exchanges it.
// Black-box: the local server with its in-process jobs, a real OAuth server (oidc-provider), a
// real webhook receiver, DynamoDB Local.

const saved = { ...process.env };
let api: Api;
let idp: OAuthServer;
/** One webhook receiver per tenant, so each test sees only its tenant's events. */
const receivers: Receiver[] = [];
const APP_RETURN = 'https://app.example.com/oauth/done';

beforeAll(async () => {
  Object.assign(process.env, { WEBHOOK_RETRY_SCHEDULE: '1,1,1', WEBHOOK_SWEEP_SECONDS: '1' });
  api = await startApi({ jobs: true });
  idp = await startOAuthServer({ redirectUris: [`${api.url}/v1/connect/callback`] });
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await idp?.close();
  await api?.close();
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

/** A tenant with an OAuth app for the test server (custom provider `acme`) and a webhook endpoint. */
async function tenantWithApp() {
  const t = await api.register();
  const app = await api.call('POST', '/v1/oauth-apps', {
    key: t.key,
    body: acmeApp(idp, { scopes: ['read', 'write'] }),
  });
  expect(app.status, app.text).toBe(201);
  const hooks = await startReceiver();
  receivers.push(hooks);
  const hook = await api.call('POST', '/v1/webhooks', {
    key: t.key,
    body: { url: hooks.url, events: ['connection.created', 'token.created', 'token.updated'] },
  });
  expect(hook.status, hook.text).toBe(201);
  return { ...t, hooks };
}

/** Runs the browser's side of the flow; returns where the vault sent the browser back to. */
async function connect(key: string, body: Record<string, unknown> = {}, accountId?: string) {
  const session = await api.call('POST', '/v1/connect/sessions', {
    key,
    body: { provider: 'acme', key: 'user-7', redirect_url: APP_RETURN, ...body },
  });
  expect(session.status, session.text).toBe(201);
  const callback = await idp.authorize(session.body.authorization_url, { accountId });
  const res = await api.call('GET', `${callback.pathname}${callback.search}`);
  expect(res.status, res.text).toBe(302);
  return new URL(res.headers.get('location') as string);
}

const exchange = (key: string, connect_code: string | null) =>
  api.call('POST', '/v1/connect/exchange', { key, body: { connect_code } });

/** The webhook event types a tenant's receiver got, in order. */
const hookEvents = (hooks: Receiver): string[] =>
  hooks.received.map((r) => (JSON.parse(r.body) as { type: string }).type);

async function wholeTable(): Promise<string> {
  const { ddb, tableName } = await import('../../lib/aws.js');
  const items: unknown[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await ddb.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return JSON.stringify(items);
}

/** The problem every code that does not work gets, whatever the reason. */
const INVALID = {
  type: 'about:blank',
  title: 'Bad Request',
  status: 400,
  detail: 'This connect code is unknown, expired or already used.',
};

describe('a connection the app must confirm (the default)', () => {
  it('returns a one-time connect_code, keeps the token hidden and sealed until the exchange, then stores it', async () => {
    // Prepare
    const { tenantId, key, hooks } = await tenantWithApp();

    // Act
    const back = await connect(key, { redirect_url: `${APP_RETURN}?from=test` });

    // Assess
    expect(back.origin + back.pathname).toBe(APP_RETURN);
    expect(Object.fromEntries(back.searchParams)).toEqual({
      from: 'test',
      status: 'success',
      provider: 'acme',
      key: 'user-7',
      connect_code: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), // 256 random bits
    });
    const code = back.searchParams.get('connect_code') as string;

    // Assess: not a token yet: not listed, not found by (provider, key), nothing refreshable.
    const list = await api.call('GET', '/v1/tokens', { key });
    expect(list.body.data).toEqual([]);
    const byKey = await api.call('GET', '/v1/tokens?provider=acme&key=user-7', { key });
    expect(byKey.body.data).toEqual([]);
    const before = await tenantItems(tenantId);
    expect(before.filter((i) => i.type === 'token' || i.type === 'token_claim' || i.GSI2PK)).toEqual([]);
    const pending = before.filter((i) => i.type === 'pending_connection');
    expect(pending).toHaveLength(1);
    // Only the code's hash is stored.
    expect(JSON.stringify(before)).not.toContain(code);
    expect(pending[0]?.SK).toBe(`CONNECTION#${createHash('sha256').update(code).digest('base64url')}`);
    const tableBefore = await wholeTable();

    // Act: no webhook for a connection nobody confirmed (the sweeper runs every second).
    await new Promise((r) => setTimeout(r, 1500));

    // Assess
    expect(hookEvents(hooks)).toEqual([]);

    // Act
    const confirmed = await exchange(key, code);

    // Assess
    expect(confirmed.status, confirmed.text).toBe(200);
    expect(confirmed.body).toMatchObject({
      id: expect.stringMatching(/^tok_/),
      provider: 'acme',
      key: 'user-7',
      status: 'active',
      has_refresh_token: true,
      scopes: ['read', 'write'],
    });
    // tokens:write learns no secrets from the exchange.
    expect(confirmed.body).not.toHaveProperty('access_token');
    expect(confirmed.body).not.toHaveProperty('refresh_token');
    expect(Date.parse(confirmed.body.expires_at) - Date.now()).toBeGreaterThan(3000_000);

    // Act
    const token = await api.call('GET', `/v1/tokens/${confirmed.body.id}`, { key });

    // Assess
    expect(token.status).toBe(200);
    expect(token.body.access_token.length).toBeGreaterThan(20);
    expect(token.body.refresh_token.length).toBeGreaterThan(20);
    // The provider's tokens were never in the table in plaintext while they waited.
    expect(tableBefore).not.toContain(token.body.access_token);
    expect(tableBefore).not.toContain(token.body.refresh_token);
    expect((await api.call('GET', '/v1/tokens?provider=acme&key=user-7', { key })).body.data).toHaveLength(1);
    // The pending connection is gone with the exchange.
    expect((await tenantItems(tenantId)).filter((i) => i.type === 'pending_connection')).toEqual([]);

    // Assess: connection.created fires on confirmation.
    await waitFor(
      () => (hookEvents(hooks).includes('connection.created') ? true : undefined),
      10_000,
      'connection.created',
    );
    expect(hookEvents(hooks)).toEqual(expect.arrayContaining(['token.created', 'connection.created']));

    // Act: a code works once.
    const again = await exchange(key, code);

    // Assess
    expect(again.status).toBe(400);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    expect(again.body).toEqual({ ...INVALID, request_id: expect.any(String) });

    // Act
    const unknown = await exchange(key, 'x'.repeat(43));

    // Assess
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({ ...INVALID, request_id: expect.any(String) });
  }, 45_000); // waits out a few sweeper periods on a shared machine

  it("refuses another tenant's exchange without using the code up", async () => {
    // Prepare
    const owner = await tenantWithApp();
    const other = await tenantWithApp();
    const code = (await connect(owner.key)).searchParams.get('connect_code');

    // Act
    const stolen = await exchange(other.key, code);

    // Assess
    expect(stolen.status).toBe(400);
    expect(stolen.body).toEqual({ ...INVALID, request_id: expect.any(String) });
    expect((await api.call('GET', '/v1/tokens', { key: other.key })).body.data).toEqual([]);

    // Act
    const mine = await exchange(owner.key, code);

    // Assess
    expect(mine.status, mine.text).toBe(200);
    expect((await api.call('GET', '/v1/tokens', { key: owner.key })).body.data).toHaveLength(1);
  });

  it('discards an unconfirmed connection when its session expires', async () => {
    // Prepare
    const { tenantId, key } = await tenantWithApp();
    const code = (await connect(key)).searchParams.get('connect_code') as string;

    // Prepare: ten minutes pass (DynamoDB Local never deletes expired items: the code checks expiry itself).
    const { ddb, tableName } = await import('../../lib/aws.js');
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: {
          PK: `TENANT#${tenantId}`,
          SK: `CONNECTION#${createHash('sha256').update(code).digest('base64url')}`,
        },
        UpdateExpression: 'SET expires_at = :past',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':past': new Date(Date.now() - 1000).toISOString() },
      }),
    );

    // Act
    const late = await exchange(key, code);

    // Assess
    expect(late.status).toBe(400);
    expect(late.body).toEqual({ ...INVALID, request_id: expect.any(String) });
    expect((await tenantItems(tenantId)).filter((i) => i.type === 'pending_connection')).toEqual([]);
    expect((await api.call('GET', '/v1/tokens', { key })).body.data).toEqual([]);
  });

  it('lets exactly one of several concurrent exchanges of one code store the token', async () => {
    // Prepare
    const { key } = await tenantWithApp();
    const code = (await connect(key)).searchParams.get('connect_code');

    // Act
    const results = await Promise.all(Array.from({ length: 5 }, () => exchange(key, code)));

    // Assess
    expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400, 400, 400]);
    expect((await api.call('GET', '/v1/tokens', { key })).body.data).toHaveLength(1);
  });

  it('reconnecting the same key replaces the token only on confirmation', async () => {
    // Prepare
    const { key } = await tenantWithApp();
    const first = await exchange(key, (await connect(key)).searchParams.get('connect_code'));
    const old = await api.call('GET', `/v1/tokens/${first.body.id}`, { key });

    // Act: someone else's account, from a forwarded link: it must not replace the token by itself.
    const code = (await connect(key, {}, 'someone-else')).searchParams.get('connect_code');

    // Assess
    const still = await api.call('GET', `/v1/tokens/${first.body.id}`, { key });
    expect(still.body.access_token).toBe(old.body.access_token);

    // Act
    const second = await exchange(key, code);

    // Assess
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    const replaced = await api.call('GET', `/v1/tokens/${first.body.id}`, { key });
    expect(replaced.body.access_token).not.toBe(old.body.access_token);
  });

  it('needs tokens:write and a well-formed body', async () => {
    // Prepare
    const { key } = await tenantWithApp();
    const reader = await api.call('POST', '/v1/api-keys', {
      key,
      body: { name: 'r', scopes: ['tokens:read'] },
    });
    expect(reader.status, reader.text).toBe(201);

    // Act: a reader key, no key, bad bodies.
    const asReader = await exchange(reader.body.api_key, 'x');
    const anonymous = await api.call('POST', '/v1/connect/exchange', { body: { connect_code: 'x' } });
    const nullCode = await exchange(key, null);
    const longCode = await exchange(key, 'x'.repeat(257));

    // Assess
    expect(asReader.status).toBe(403);
    expect(anonymous.status).toBe(401);
    expect(nullCode.status).toBe(422);
    expect(longCode.status).toBe(422);
  });
});

describe('confirm: false', () => {
  it('stores the token at the callback and returns its id, as before', async () => {
    // Prepare
    const { tenantId, key, hooks } = await tenantWithApp();

    // Act
    const back = await connect(key, { key: 'user-9', confirm: false });

    // Assess
    expect(back.searchParams.get('status')).toBe('success');
    expect(back.searchParams.has('connect_code')).toBe(false);
    const id = back.searchParams.get('token_id') as string;
    const token = await api.call('GET', `/v1/tokens/${id}`, { key });
    expect(token.status).toBe(200);
    expect(token.body).toMatchObject({ provider: 'acme', key: 'user-9', status: 'active' });
    expect((await tenantItems(tenantId)).filter((i) => i.type === 'pending_connection')).toEqual([]);
    await waitFor(
      () => (hookEvents(hooks).includes('connection.created') ? true : undefined),
      10_000,
      'connection.created',
    );
  });
});
