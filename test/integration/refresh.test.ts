import { createHash } from 'node:crypto';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Api, startApi } from '../helpers/api.js';
import { acmeApp, type OAuthServer, startOAuthServer } from '../helpers/oauth-server.js';

// The connect flow and the refresh engine against a real OAuth 2.0 server (oidc-provider), through
// the vault's real handlers over HTTP, on DynamoDB Local.

let api: Api;
let idp: OAuthServer;
const APP_RETURN = 'https://app.example.com/oauth/done';

beforeAll(async () => {
  api = await startApi();
  idp = await startOAuthServer({ redirectUris: [`${api.url}/v1/connect/callback`] });
});
afterAll(async () => {
  await idp?.close();
  await api?.close();
});
beforeEach(() => {
  idp.mode = 'ok';
  idp.tokenRequests.refresh_token = 0;
  idp.tokenRequests.authorization_code = 0;
});

/** A tenant with an OAuth app for the test server, registered as a custom provider `acme`. */
async function tenantWithApp() {
  const t = await api.register();
  const res = await api.call('POST', '/v1/oauth-apps', {
    key: t.key,
    body: acmeApp(idp, { scopes: ['read', 'write'] }),
  });
  expect(res.status).toBe(201);
  return t;
}

/** Seeds a token from the real server, stored as if the app had connected it. */
async function seedToken(key: string, opts: { expires_in?: number; user?: string } = {}) {
  const set = await idp.issueTokens({ scope: 'read' });
  const res = await api.call('POST', '/v1/tokens', {
    key,
    body: {
      provider: 'acme',
      key: opts.user ?? `u-${Math.random().toString(36).slice(2)}`,
      access_token: set.access_token,
      refresh_token: set.refresh_token,
      expires_in: opts.expires_in ?? 60, // inside the 300 s margin: due for refresh
    },
  });
  expect(res.status).toBe(201);
  return { id: res.body.id as string, ...set };
}

async function eventsOf(tenantId: string): Promise<string[]> {
  const { ddb, tableName } = await import('../../lib/aws.js');
  const out = await ddb.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :sk)',
      ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}`, ':sk': 'EVENT#' },
    }),
  );
  return (out.Items ?? []).map((i) => (i.event as { type: string }).type);
}

describe('providers and OAuth apps', () => {
  it('lists the provider catalog', async () => {
    // Prepare
    const { key } = await api.register();

    // Act
    const res = await api.call('GET', '/v1/providers', { key });

    // Assess
    expect(res.status).toBe(200);
    expect(res.body.data.length).toBeGreaterThanOrEqual(31);
    expect(res.body.data.find((p: { id: string }) => p.id === 'google')).toMatchObject({
      token_url: 'https://oauth2.googleapis.com/token',
      pkce: true,
    });
  });

  it('stores the client secret sealed and never returns it', async () => {
    // Prepare
    const { tenantId, key } = await tenantWithApp();

    // Act
    const list = await api.call('GET', '/v1/oauth-apps', { key });

    // Assess
    expect(list.status).toBe(200);
    expect(list.body.data[0]).toMatchObject({
      provider: 'acme',
      client_id: idp.clientId,
      callback_url: `${api.url}/v1/connect/callback`,
    });
    expect(list.text).not.toContain(idp.clientSecret);
    const { ddb, tableName } = await import('../../lib/aws.js');
    const items = await ddb.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}` },
      }),
    );
    expect(JSON.stringify(items.Items)).not.toContain(idp.clientSecret);

    // Act: a second app for the same provider is a conflict; unknown providers need `custom`
    const dup = await api.call('POST', '/v1/oauth-apps', {
      key,
      body: {
        provider: 'acme',
        client_id: 'x',
        client_secret: 'y',
        redirect_urls: ['https://a.example'],
        custom: { name: 'A', authorization_url: idp.authorizationUrl, token_url: idp.tokenUrl },
      },
    });

    // Assess
    expect(dup.status).toBe(409);

    // Act
    const unknown = await api.call('POST', '/v1/oauth-apps', {
      key,
      body: { provider: 'nope', client_id: 'x', client_secret: 'y', redirect_urls: ['https://a.example'] },
    });

    // Assess
    expect(unknown.status).toBe(422);

    // Act
    const deleted = await api.call('DELETE', '/v1/oauth-apps/acme', { key });
    const again = await api.call('DELETE', '/v1/oauth-apps/acme', { key });

    // Assess
    expect(deleted.status).toBe(204);
    expect(again.status).toBe(404);
  });
});

describe('connect flow', () => {
  it('authorizes with PKCE, exchanges the code, stores the token and returns the browser to the app', async () => {
    // Prepare
    const { tenantId, key } = await tenantWithApp();

    // Act
    const session = await api.call('POST', '/v1/connect/sessions', {
      key,
      body: { provider: 'acme', key: 'user-7', redirect_url: `${APP_RETURN}?from=test` },
    });

    // Assess
    expect(session.status).toBe(201);
    const authUrl = new URL(session.body.authorization_url);
    expect(authUrl.origin + authUrl.pathname).toBe(idp.authorizationUrl);
    expect(authUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authUrl.searchParams.get('state')?.length).toBeGreaterThanOrEqual(43);
    expect(authUrl.searchParams.get('scope')).toBe('read write');
    expect(Date.parse(session.body.expires_at) - Date.now()).toBeGreaterThan(590_000);

    // Act
    const callback = await idp.authorize(session.body.authorization_url);

    // Assess
    expect(callback.searchParams.get('code')).toBeTruthy();

    // Act
    const res = await api.call('GET', `${callback.pathname}${callback.search}`);

    // Assess
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location') as string);
    expect(back.origin + back.pathname).toBe(APP_RETURN);
    expect(Object.fromEntries(back.searchParams)).toMatchObject({
      from: 'test',
      status: 'success',
      provider: 'acme',
      key: 'user-7',
    });
    expect(idp.tokenRequests.authorization_code).toBe(1);

    // Act: the app confirms the connection (test/integration/connect-confirm.test.ts covers this step)
    const confirmed = await api.call('POST', '/v1/connect/exchange', {
      key,
      body: { connect_code: back.searchParams.get('connect_code') },
    });

    // Assess
    expect(confirmed.status, confirmed.text).toBe(200);

    // Act
    const token = await api.call('GET', `/v1/tokens/${confirmed.body.id}`, { key });

    // Assess
    expect(token.status).toBe(200);
    expect(token.body).toMatchObject({
      provider: 'acme',
      key: 'user-7',
      has_refresh_token: true,
      status: 'active',
    });
    expect(token.body.access_token.length).toBeGreaterThan(20);
    expect(await eventsOf(tenantId)).toEqual(expect.arrayContaining(['token.created', 'connection.created']));

    // Act: the state is single-use
    const replay = await api.call('GET', `${callback.pathname}${callback.search}`);

    // Assess
    expect(replay.status).toBe(400);
    expect(idp.tokenRequests.authorization_code).toBe(1);

    // Act: connecting the same (provider, key) again replaces the token in place
    const again = await api.call('POST', '/v1/connect/sessions', {
      key,
      body: { provider: 'acme', key: 'user-7', redirect_url: APP_RETURN },
    });
    const cb2 = await idp.authorize(again.body.authorization_url);
    const res2 = await api.call('GET', `${cb2.pathname}${cb2.search}`);
    const back2 = new URL(res2.headers.get('location') as string);
    const confirmed2 = await api.call('POST', '/v1/connect/exchange', {
      key,
      body: { connect_code: back2.searchParams.get('connect_code') },
    });

    // Assess
    expect(confirmed2.body.id).toBe(confirmed.body.id);
    const replaced = await api.call('GET', `/v1/tokens/${confirmed2.body.id}`, { key });
    expect(replaced.body.access_token).not.toBe(token.body.access_token);
  });

  it('refuses an expired state', async () => {
    // Prepare
    const { key } = await tenantWithApp();
    const session = await api.call('POST', '/v1/connect/sessions', {
      key,
      body: { provider: 'acme', key: 'u', redirect_url: APP_RETURN },
    });
    const state = new URL(session.body.authorization_url).searchParams.get('state') as string;
    const callback = await idp.authorize(session.body.authorization_url);
    // Ten minutes pass (DynamoDB Local never deletes expired items: the code checks expiry itself).
    const { ddb, tableName } = await import('../../lib/aws.js');
    const hash = createHash('sha256').update(state).digest('base64url');
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { PK: `CONNECT#${hash}`, SK: 'CONNECT' },
        UpdateExpression: 'SET expires_at = :past',
        ExpressionAttributeValues: { ':past': new Date(Date.now() - 1000).toISOString() },
      }),
    );

    // Act
    const res = await api.call('GET', `${callback.pathname}${callback.search}`);

    // Assess
    expect(res.status).toBe(400);
    expect(idp.tokenRequests.authorization_code).toBe(0);
  });

  it('returns a denied consent to the app as an error', async () => {
    // Prepare
    const { key } = await tenantWithApp();
    const session = await api.call('POST', '/v1/connect/sessions', {
      key,
      body: { provider: 'acme', key: 'u', redirect_url: APP_RETURN },
    });
    const callback = await idp.authorize(session.body.authorization_url, { deny: true });

    // Act
    const res = await api.call('GET', `${callback.pathname}${callback.search}`);

    // Assess
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location') as string);
    expect(back.searchParams.get('status')).toBe('error');
    expect(back.searchParams.get('error')).toBe('access_denied');
  });

  it('refuses a redirect_url outside the app’s list (no open redirect) and a provider without an app', async () => {
    // Prepare
    const { key } = await tenantWithApp();

    // Act: each redirect_url outside the list, then a provider without an app.
    const answers = [];
    for (const redirect_url of [
      'https://evil.example/oauth',
      'https://app.example.com.evil.example/oauth',
      'https://app.example.com/other',
    ]) {
      const res = await api.call('POST', '/v1/connect/sessions', {
        key,
        body: { provider: 'acme', key: 'u', redirect_url },
      });
      answers.push({ redirect_url, res });
    }
    const none = await api.call('POST', '/v1/connect/sessions', {
      key,
      body: { provider: 'google', key: 'u', redirect_url: APP_RETURN },
    });

    // Assess
    for (const { redirect_url, res } of answers) expect(res.status, redirect_url).toBe(422);
    expect(none.status).toBe(409);
  });
});

describe('refresh', () => {
  it('GET refreshes a token expiring within the margin, rotating the refresh token; a fresh one is not refreshed', async () => {
    // Prepare
    const { tenantId, key } = await tenantWithApp();
    const seeded = await seedToken(key);

    // Act
    const got = await api.call('GET', `/v1/tokens/${seeded.id}`, { key });

    // Assess
    expect(got.status).toBe(200);
    expect(idp.tokenRequests.refresh_token).toBe(1);
    expect(got.body.access_token).not.toBe(seeded.access_token);
    expect(got.body.refresh_token).not.toBe(seeded.refresh_token); // rotated
    expect(Date.parse(got.body.expires_at) - Date.now()).toBeGreaterThan(3000_000);
    expect(got.body.last_refreshed_at).not.toBeNull();
    expect(await eventsOf(tenantId)).toContain('token.refreshed');

    // Act
    const again = await api.call('GET', `/v1/tokens/${seeded.id}`, { key });

    // Assess
    expect(again.body.access_token).toBe(got.body.access_token);
    expect(idp.tokenRequests.refresh_token).toBe(1);
  });

  it('a refresh response without a refresh token keeps the old one', async () => {
    // Prepare: a provider that never rotates (many send no refresh_token on refresh): a minimal real endpoint.
    const { createServer } = await import('node:http');
    let grants = 0;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        grants++;
        const ok = new URLSearchParams(body).get('refresh_token') === 'static-refresh';
        res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            ok
              ? { access_token: `at-${grants}`, token_type: 'Bearer', expires_in: 3600 }
              : { error: 'invalid_grant' },
          ),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const { key } = await api.register();
      const app = await api.call('POST', '/v1/oauth-apps', {
        key,
        body: {
          provider: 'static-idp',
          client_id: 'c',
          client_secret: 's',
          redirect_urls: ['https://app.example.com/oauth'],
          custom: {
            name: 'Static',
            authorization_url: `http://127.0.0.1:${port}/auth`,
            token_url: `http://127.0.0.1:${port}/token`,
          },
        },
      });
      expect(app.status).toBe(201);
      const made = await api.call('POST', '/v1/tokens', {
        key,
        body: {
          provider: 'static-idp',
          key: 'u',
          access_token: 'at-0',
          refresh_token: 'static-refresh',
          expires_in: 10,
        },
      });

      // Act
      const first = await api.call('POST', `/v1/tokens/${made.body.id}/refresh`, { key });

      // Assess
      expect(first.body).toMatchObject({ access_token: 'at-1', refresh_token: 'static-refresh' });

      // Act
      const second = await api.call('POST', `/v1/tokens/${made.body.id}/refresh`, { key });

      // Assess
      expect(second.body).toMatchObject({ access_token: 'at-2', refresh_token: 'static-refresh' });
    } finally {
      server.close();
    }
  });

  it('POST /refresh forces a refresh; the new refresh token works for the next one', async () => {
    // Prepare
    const { key } = await tenantWithApp();
    const seeded = await seedToken(key, { expires_in: 3600 });

    // Act
    const first = await api.call('POST', `/v1/tokens/${seeded.id}/refresh`, { key });

    // Assess
    expect(first.status).toBe(200);

    // Act
    const second = await api.call('POST', `/v1/tokens/${seeded.id}/refresh`, { key });

    // Assess
    expect(second.status).toBe(200);
    expect(second.body.access_token).not.toBe(first.body.access_token);
    expect(idp.tokenRequests.refresh_token).toBe(2);
  });

  it('POST /refresh returns the secrets only to a key that may read them', async () => {
    // Prepare
    const { key } = await tenantWithApp();
    const seeded = await seedToken(key, { expires_in: 3600 });
    const makeKey = async (scopes: string[]) =>
      (await api.call('POST', '/v1/api-keys', { key, body: { name: scopes.join('+'), scopes } })).body
        .api_key as string;
    const writeOnly = await makeKey(['tokens:write']);
    const readWrite = await makeKey(['tokens:read', 'tokens:write']);

    // Act
    const blind = await api.call('POST', `/v1/tokens/${seeded.id}/refresh`, { key: writeOnly });
    const seeing = await api.call('POST', `/v1/tokens/${seeded.id}/refresh`, { key: readWrite });

    // Assess
    expect(blind.status).toBe(200);
    expect(blind.body).toMatchObject({ id: seeded.id, status: 'active', has_refresh_token: true });
    expect(blind.body).not.toHaveProperty('access_token');
    expect(blind.body).not.toHaveProperty('refresh_token');
    expect(blind.text).not.toContain(seeded.access_token);
    expect(seeing.status).toBe(200);
    expect(seeing.body.access_token).toEqual(expect.any(String));
    expect(seeing.body.refresh_token).toEqual(expect.any(String));
    expect(idp.tokenRequests.refresh_token).toBe(2); // both refreshed: only the answer differs
  });

  it('invalid_grant marks the token needs_reauth and stops calling the provider', async () => {
    // Prepare
    const { tenantId, key } = await tenantWithApp();
    const seeded = await seedToken(key);
    await idp.revoke(seeded.refresh_token);

    // Act
    const res = await api.call('POST', `/v1/tokens/${seeded.id}/refresh`, { key });

    // Assess
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain('invalid_grant');
    const meta = await api.call('GET', `/v1/tokens/${seeded.id}`, { key });
    expect(meta.body).toMatchObject({ status: 'needs_reauth', last_error: { code: 'invalid_grant' } });
    expect(meta.body.access_token).toBe(seeded.access_token); // the stored one, status saying why
    expect(await eventsOf(tenantId)).toEqual(
      expect.arrayContaining(['token.refresh_failed', 'token.needs_reauth']),
    );

    // Act
    const calls = idp.tokenRequests.refresh_token;
    const retried = await api.call('POST', `/v1/tokens/${seeded.id}/refresh`, { key });

    // Assess
    expect(retried.status).toBe(409);
    expect(idp.tokenRequests.refresh_token).toBe(calls);
  });

  it('a 5xx provider is a 502, then a cooldown (503, Retry-After) that spares the provider', async () => {
    const { tenantId, key } = await tenantWithApp();
    const seeded = await seedToken(key);
    idp.mode = 'http500';
    const res = await api.call('POST', `/v1/tokens/${seeded.id}/refresh`, { key });
    expect(res.status).toBe(502);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(48);
    const meta = await api.call('GET', `/v1/tokens/${seeded.id}`, { key });
    expect(meta.body).toMatchObject({ status: 'refresh_failed', last_error: { code: 'http_500' } });
    const cooled = await api.call('POST', `/v1/tokens/${seeded.id}/refresh`, { key });
    expect(cooled.status).toBe(503);
    expect(cooled.headers.get('retry-after')).toBeTruthy();
    expect(idp.tokenRequests.refresh_token).toBe(1);
    // Once the cooldown is over the scheduled job retries, and the intact refresh token works.

    // Act
    idp.mode = 'ok';
    const { ddb, tableName } = await import('../../lib/aws.js');
    const { refreshDue } = await import('../../lib/refresh/job.js');
    const { keys } = await import('../../lib/store/keys.js');
    const past = new Date(Date.now() - 1000);
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.token(tenantId, seeded.id),
        UpdateExpression: 'SET refresh_due_at = :due, GSI2PK = :pk, GSI2SK = :sk',
        ExpressionAttributeValues: {
          ':due': past.toISOString(),
          ':pk': keys.refreshDue(tenantId, seeded.id, past).GSI2PK,
          ':sk': keys.refreshDue(tenantId, seeded.id, past).GSI2SK,
        },
      }),
    );
    await refreshDue(() => 60_000);

    // Assess
    const healed = await api.call('GET', `/v1/tokens/${seeded.id}`, { key });
    expect(healed.body).toMatchObject({ status: 'active', last_error: null });
    expect(healed.body.access_token).not.toBe(seeded.access_token);
    expect(idp.tokenRequests.refresh_token).toBe(2);
  });

  it('20 concurrent refreshes of one token make exactly one provider call and agree on the result', async () => {
    // Prepare
    const { key } = await tenantWithApp();
    const seeded = await seedToken(key);
    idp.mode = 'slow';
    // Long enough that all 20 arrive while the first holds the lease, even on a loaded machine (a
    // forced refresh arriving after it finished would rightly call the provider again).
    idp.delayMs = 2000;

    // Act
    const calls = Array.from({ length: 20 }, (_, i) =>
      i % 2
        ? api.call('POST', `/v1/tokens/${seeded.id}/refresh`, { key })
        : api.call('GET', `/v1/tokens/${seeded.id}`, { key }),
    );
    const results = await Promise.all(calls);

    // Assess
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(idp.tokenRequests.refresh_token).toBe(1);
    const tokens = new Set(results.map((r) => r.body.access_token));
    expect(tokens.size).toBe(1);
    expect([...tokens][0]).not.toBe(seeded.access_token);
  });

  it('the scheduled job refreshes what is due, and only that', async () => {
    // Prepare
    const { key } = await tenantWithApp();
    const due = await seedToken(key, { expires_in: 60 });
    const fresh = await seedToken(key, { expires_in: 3600 });

    // Act
    const { refreshDue } = await import('../../lib/refresh/job.js');
    const run = await refreshDue(() => 60_000);

    // Assess
    expect(run.refreshed).toBeGreaterThanOrEqual(1);
    const a = await api.call('GET', `/v1/tokens/${due.id}`, { key });
    expect(a.body.last_refreshed_at).not.toBeNull();
    expect(a.body.access_token).not.toBe(due.access_token);
    const b = await api.call('GET', `/v1/tokens/${fresh.id}`, { key });
    expect(b.body.last_refreshed_at).toBeNull();
    expect(b.body.access_token).toBe(fresh.access_token);

    // Act: run again: nothing of this tenant is due any more
    const before = idp.tokenRequests.refresh_token;
    await refreshDue(() => 60_000);

    // Assess
    expect(idp.tokenRequests.refresh_token).toBe(before);
  });
});
