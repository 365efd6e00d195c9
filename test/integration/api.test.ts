import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi, tenantItems, uniqueEmail } from '../helpers/api.js';

// The vault core through the real handlers, over HTTP, against DynamoDB Local.

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

const newToken = (over: Record<string, unknown> = {}) => ({
  provider: 'google',
  key: `user-${Math.random().toString(36).slice(2)}`,
  access_token: `ya29.${Math.random().toString(36).slice(2)}-access`,
  refresh_token: `1//${Math.random().toString(36).slice(2)}-refresh`,
  expires_in: 3600,
  scopes: ['email'],
  metadata: { team: 'blue' },
  ...over,
});

describe('health and docs', () => {
  it('GET /health is 200 without auth', async () => {
    // Act
    const res = await api.call('GET', '/health');

    // Assess
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves an OpenAPI 3.1 document with every route of the route table', async () => {
    // Prepare
    const { routeList } = await import('../../functions/routes.js');

    // Act
    const res = await api.call('GET', '/openapi.json');

    // Assess
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    for (const r of routeList) {
      // ANY (the proxy, MCP) is one operation per method; API Gateway's greedy `{path+}` is `{path}`.
      const path = r.path.replace(/\{(\w+)\+\}/g, '{$1}');
      const methods = r.method === 'ANY' ? ['Get', 'Post', 'Put', 'Patch', 'Delete'] : [r.method];
      for (const m of methods) {
        expect(res.body.paths[path]?.[m.toLowerCase()]?.operationId, `${m} ${r.path}`).toBe(
          r.method === 'ANY' ? `${r.id}${m}` : r.id,
        );
      }
    }
    const create = res.body.paths['/v1/tokens'].post;
    expect(create.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/CreateTokenRequest',
    );
    expect(res.body.components.schemas.CreateTokenRequest.additionalProperties).toBe(false);
    expect(create.responses['422'].content['application/problem+json']).toBeDefined();
    expect(res.body.components.schemas.Token.properties).not.toHaveProperty('access_token');
  });

  it('serves a docs page that renders the document', async () => {
    // Act
    const res = await api.call('GET', '/docs');

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toContain('spec-url="openapi.json"');
    // Its renderer is served by the vault itself (see dashboard-session.test.ts and the browser tests).
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('answers an unknown path with a problem 404 and a wrong method with 405', async () => {
    // Act
    const unknown = await api.call('GET', '/v1/nope');
    const res = await api.call('PATCH', '/v1/tokens');

    // Assess
    expect(unknown.status).toBe(404);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, GET');
  });
});

describe('registration', () => {
  it('creates a tenant, its email claim, data key and first admin key atomically', async () => {
    // Prepare
    const email = uniqueEmail('Reg');

    // Act
    const res = await api.call('POST', '/v1/auth/register', { body: { email, name: 'Reg Co' } });

    // Assess
    expect(res.status).toBe(201);
    expect(res.body.tenant).toMatchObject({ email, name: 'Reg Co' });
    expect(res.body.tenant.id).toMatch(/^ten_[0-9a-z]{26}$/);
    expect(Date.parse(res.body.tenant.created_at)).not.toBeNaN();
    expect(res.body.api_key).toMatch(/^vk_live_[0-9a-z]{16}_[A-Za-z0-9_-]{43}$/);

    // Act: the items written.
    const { ddb, tableName } = await import('../../lib/aws.js');
    const tenant = await ddb.send(
      new GetCommand({ TableName: tableName, Key: { PK: `TENANT#${res.body.tenant.id}`, SK: 'TENANT' } }),
    );

    // Assess
    expect(tenant.Item?.dek_current).toBe(1);
    expect(Object.keys(tenant.Item?.deks ?? {})).toEqual(['1']);
    const claim = await ddb.send(
      new GetCommand({ TableName: tableName, Key: { PK: `EMAIL#${email.toLowerCase()}`, SK: 'EMAIL' } }),
    );
    expect(claim.Item?.tenant_id).toBe(res.body.tenant.id);
    const keyId = res.body.api_key.split('_')[2];
    const key = await ddb.send(
      new GetCommand({ TableName: tableName, Key: { PK: `APIKEY#${keyId}`, SK: 'APIKEY' } }),
    );
    expect(key.Item?.scopes).toEqual(['admin']);
    expect(key.Item?.secret_hash).toMatch(/^\$2[aby]\$/);
    expect(JSON.stringify(key.Item)).not.toContain(res.body.api_key.split('_').slice(3).join('_'));

    const keys = await api.call('GET', '/v1/api-keys', { key: res.body.api_key });
    expect(keys.status).toBe(200);
  });

  it('refuses an email already registered, whatever its case (409), and writes nothing', async () => {
    // Prepare
    const email = uniqueEmail('dup');
    const first = await api.call('POST', '/v1/auth/register', { body: { email, name: 'A' } });

    // Act
    const res = await api.call('POST', '/v1/auth/register', {
      body: { email: email.toUpperCase(), name: 'B' },
    });

    // Assess
    expect(first.status).toBe(201);
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status: 409, title: 'Conflict' });
  });

  it('rejects an invalid email with 422 and the field path', async () => {
    // Act
    const res = await api.call('POST', '/v1/auth/register', { body: { email: 'not-an-email', name: 'X' } });

    // Assess
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ path: 'body.email', message: expect.any(String) }]);
  });
});

describe('request errors', () => {
  it('malformed JSON is 400', async () => {
    // Act
    const res = await api.call('POST', '/v1/auth/register', {
      raw: '{"email":',
      headers: { 'content-type': 'application/json' },
    });

    // Assess
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ type: 'about:blank', title: 'Bad Request', status: 400 });
  });

  it('a body over 64 KiB is 413', async () => {
    // Prepare
    const { key } = await api.register();

    // Act
    const res = await api.call('POST', '/v1/tokens', {
      key,
      body: newToken({ access_token: 'x'.repeat(65 * 1024) }),
    });

    // Assess
    expect(res.status).toBe(413);
  });

  it('a body that is not JSON is 415', async () => {
    // Act
    const res = await api.call('POST', '/v1/auth/register', {
      raw: 'email=a',
      headers: { 'content-type': 'text/plain' },
    });

    // Assess
    expect(res.status).toBe(415);
  });

  it('unknown fields are 422, each named', async () => {
    // Prepare
    const { key } = await api.register();

    // Act
    const res = await api.call('POST', '/v1/tokens', { key, body: { ...newToken(), owner: 'x', extra: 1 } });

    // Assess
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body.errors).toEqual([
      { path: 'body.owner', message: 'Unknown field.' },
      { path: 'body.extra', message: 'Unknown field.' },
    ]);
  });

  it('a bad query parameter is 422', async () => {
    // Prepare
    const { key } = await api.register();

    // Act
    const res = await api.call('GET', '/v1/tokens?limit=500', { key });

    // Assess
    expect(res.status).toBe(422);
    expect(res.body.errors[0].path).toBe('query.limit');
  });
});

describe('authentication', () => {
  it.each([
    ['no header', undefined],
    ['not bearer', 'Basic dXNlcjpwYXNz'],
    ['malformed key', 'Bearer nope'],
    ['unknown key', `Bearer vk_live_0000000000000000_${'A'.repeat(43)}`],
  ])('%s → 401 with WWW-Authenticate and a generic message', async (_label, header) => {
    // Act
    const res = await api.call('GET', '/v1/tokens', { headers: header ? { authorization: header } : {} });

    // Assess
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(res.body).toEqual({
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      detail: 'A valid API key is required.',
      request_id: res.headers.get('x-request-id'),
    });
  });

  it('a right key id with a wrong secret is 401', async () => {
    // Prepare
    const { key } = await api.register();
    const forged = `${key.slice(0, -4)}AAAA` === key ? `${key.slice(0, -4)}BBBB` : `${key.slice(0, -4)}AAAA`;

    // Act
    const res = await api.call('GET', '/v1/tokens', { key: forged });

    // Assess
    expect(res.status).toBe(401);
  });
});

describe('API keys', () => {
  it('creates a scoped key shown once, lists keys without secrets, and revokes', async () => {
    // Prepare
    const { key: admin } = await api.register();

    // Act
    const made = await api.call('POST', '/v1/api-keys', {
      key: admin,
      body: { name: 'reader', scopes: ['tokens:read'] },
    });

    // Assess
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ name: 'reader', scopes: ['tokens:read'], last_used_at: null });
    expect(made.body.api_key.startsWith(made.body.prefix)).toBe(true);

    // Act
    const list = await api.call('GET', '/v1/api-keys', { key: admin });

    // Assess
    expect(list.status).toBe(200);
    expect(list.body.data.map((k: { name: string }) => k.name).sort()).toEqual(['default', 'reader']);
    for (const k of list.body.data) {
      expect(Object.keys(k).sort()).toEqual(['created_at', 'id', 'last_used_at', 'name', 'prefix', 'scopes']);
    }
    expect(list.text).not.toContain(made.body.api_key);
    const defaultKey = list.body.data.find((k: { name: string }) => k.name === 'default');
    expect(defaultKey.last_used_at).not.toBeNull();

    // Act: scopes: a reader reads but cannot write or manage keys.
    const reader = made.body.api_key;
    const read = await api.call('GET', '/v1/tokens', { key: reader });
    const write = await api.call('POST', '/v1/tokens', { key: reader, body: newToken() });
    const manage = await api.call('GET', '/v1/api-keys', { key: reader });

    // Assess
    expect(read.status).toBe(200);
    expect(write.status).toBe(403);
    expect(manage.status).toBe(403);

    // Act: revoke it, use it, revoke it again.
    const revoked = await api.call('DELETE', `/v1/api-keys/${made.body.id}`, { key: admin });
    const afterRevoke = await api.call('GET', '/v1/tokens', { key: reader });
    const again = await api.call('DELETE', `/v1/api-keys/${made.body.id}`, { key: admin });
    const after = await api.call('GET', '/v1/api-keys', { key: admin });

    // Assess
    expect(revoked.status).toBe(204);
    expect(afterRevoke.status).toBe(401);
    expect(again.status).toBe(404);
    expect(after.body.data.map((k: { name: string }) => k.name)).toEqual(['default']);
  });

  it('pages through the key list with next_cursor', async () => {
    // Prepare
    const { key: admin } = await api.register();
    for (const name of ['a', 'b', 'c']) {
      await api.call('POST', '/v1/api-keys', { key: admin, body: { name, scopes: ['tokens:read'] } });
    }

    // Act
    const first = await api.call('GET', '/v1/api-keys?limit=2', { key: admin });

    // Assess
    expect(first.body.data).toHaveLength(2);

    // Act
    const second = await api.call('GET', `/v1/api-keys?limit=2&cursor=${first.body.next_cursor}`, {
      key: admin,
    });

    // Assess
    expect(second.status).toBe(200);
    const names = [...first.body.data, ...second.body.data].map((k: { name: string }) => k.name);
    expect(names).toEqual(['default', 'a', 'b', 'c']);
  });

  it('rejects unknown scopes (422) and a key revoking itself (409)', async () => {
    // Prepare
    const { key: admin } = await api.register();

    // Act
    const bad = await api.call('POST', '/v1/api-keys', { key: admin, body: { name: 'x', scopes: ['root'] } });

    // Assess
    expect(bad.status).toBe(422);

    // Act
    const self = admin.split('_')[2];
    const selfRevoke = await api.call('DELETE', `/v1/api-keys/${self}`, { key: admin });

    // Assess
    expect(selfRevoke.status).toBe(409);
  });

  it("cannot see or revoke another tenant's key (404)", async () => {
    // Prepare
    const a = await api.register();
    const b = await api.register();
    const bKeyId = b.key.split('_')[2];

    // Act: a revoke across tenants, then B's own key in use.
    const revoke = await api.call('DELETE', `/v1/api-keys/${bKeyId}`, { key: a.key });
    const stillWorks = await api.call('GET', '/v1/tokens', { key: b.key });

    // Assess
    expect(revoke.status).toBe(404);
    expect(stillWorks.status).toBe(200);
  });
});

describe('tokens', () => {
  it('stores a token, returns metadata without secrets, and reads it back decrypted', async () => {
    // Prepare
    const { key } = await api.register();
    const input = newToken();
    const before = Date.now();

    // Act
    const res = await api.call('POST', '/v1/tokens', { key, body: input });

    // Assess
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v1/tokens/${res.body.id}`);
    expect(res.body).toMatchObject({
      provider: 'google',
      key: input.key,
      token_type: 'Bearer',
      scopes: ['email'],
      metadata: { team: 'blue' },
      has_refresh_token: true,
      status: 'active',
    });
    expect(res.body).not.toHaveProperty('access_token');
    expect(res.body).not.toHaveProperty('refresh_token');
    expect(res.text).not.toContain(input.access_token);
    const expires = Date.parse(res.body.expires_at);
    expect(expires).toBeGreaterThanOrEqual(before + 3600_000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3600_000 + 1000);

    // Act
    const got = await api.call('GET', `/v1/tokens/${res.body.id}`, { key });

    // Assess
    expect(got.status).toBe(200);
    expect(got.headers.get('cache-control')).toBe('no-store');
    expect(got.body.access_token).toBe(input.access_token);
    expect(got.body.refresh_token).toBe(input.refresh_token);
    expect(got.body.id).toBe(res.body.id);
  });

  it('accepts expires_at, and refuses both expiries at once', async () => {
    // Prepare
    const { key } = await api.register();
    const at = '2030-01-02T03:04:05.000Z';

    // Act
    const ok = await api.call('POST', '/v1/tokens', {
      key,
      body: newToken({ expires_in: undefined, expires_at: at }),
    });

    // Assess
    expect(ok.body.expires_at).toBe(at);

    // Act
    const both = await api.call('POST', '/v1/tokens', { key, body: newToken({ expires_at: at }) });

    // Assess
    expect(both.status).toBe(422);
  });

  it('a second token for the same (provider, key) is 409', async () => {
    // Prepare
    const { key } = await api.register();
    const input = newToken();

    // Act: the first create, a duplicate, the same key under another provider.
    const first = await api.call('POST', '/v1/tokens', { key, body: input });
    const dup = await api.call('POST', '/v1/tokens', { key, body: { ...input, access_token: 'other' } });
    const otherProvider = await api.call('POST', '/v1/tokens', {
      key,
      body: { ...input, provider: 'github' },
    });

    // Assess
    expect(first.status).toBe(201);
    expect(dup.status).toBe(409);
    // the same key under another provider is fine
    expect(otherProvider.status).toBe(201);
  });

  it('updates the fields given, and delete makes it 404', async () => {
    // Prepare
    const { tenantId, key } = await api.register();
    const created = (await api.call('POST', '/v1/tokens', { key, body: newToken() })).body;

    // Act
    const put = await api.call('PUT', `/v1/tokens/${created.id}`, {
      key,
      body: { access_token: 'new-access', refresh_token: null, metadata: { team: 'red' }, expires_at: null },
    });

    // Assess
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      metadata: { team: 'red' },
      has_refresh_token: false,
      expires_at: null,
      scopes: ['email'],
    });
    expect(Date.parse(put.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at));

    // Act
    const got = await api.call('GET', `/v1/tokens/${created.id}`, { key });

    // Assess
    expect(got.body).toMatchObject({ access_token: 'new-access', refresh_token: null });

    // Act: bad updates.
    const empty = await api.call('PUT', `/v1/tokens/${created.id}`, { key, body: {} });
    const readOnly = await api.call('PUT', `/v1/tokens/${created.id}`, { key, body: { provider: 'x' } });

    // Assess
    expect(empty.status).toBe(422);
    expect(readOnly.status).toBe(422);

    // Act: delete, read, delete again, recreate under the released (provider, key).
    const deleted = await api.call('DELETE', `/v1/tokens/${created.id}`, { key });
    const gone = await api.call('GET', `/v1/tokens/${created.id}`, { key });
    const deletedAgain = await api.call('DELETE', `/v1/tokens/${created.id}`, { key });
    const recreated = await api.call('POST', '/v1/tokens', {
      key,
      body: { ...newToken(), key: created.key },
    });

    // Assess
    expect(deleted.status).toBe(204);
    expect(gone.status).toBe(404);
    expect(deletedAgain.status).toBe(404);
    // the (provider, key) claim is released with it
    expect(recreated.status).toBe(201);

    // Assess
    const left = await tenantItems(tenantId);
    expect(left.filter((i) => i.SK === `TOKEN#${created.id}`)).toEqual([]);
    expect(left.filter((i) => i.type === 'token_claim' && i.token_id === created.id)).toEqual([]);
    expect(left.filter((i) => i.type === 'token')).toHaveLength(1);
  });

  it("another tenant's token is 404 for every operation, exactly like a missing one", async () => {
    // Prepare
    const a = await api.register();
    const b = await api.register();
    const token = (await api.call('POST', '/v1/tokens', { key: a.key, body: newToken() })).body;

    // Act
    const missing = await api.call('GET', '/v1/tokens/tok_00000000000000000000000000', { key: b.key });
    const foreign = await api.call('GET', `/v1/tokens/${token.id}`, { key: b.key });

    // Assess
    expect(foreign.status).toBe(404);
    // Identical but for the request id each response carries.
    expect({ ...foreign.body, request_id: 0 }).toEqual({ ...missing.body, request_id: 0 });

    // Act: every other operation, from tenant B; then A reads its token.
    const put = await api.call('PUT', `/v1/tokens/${token.id}`, { key: b.key, body: { access_token: 'x' } });
    const del = await api.call('DELETE', `/v1/tokens/${token.id}`, { key: b.key });
    const list = await api.call('GET', '/v1/tokens', { key: b.key });
    const own = await api.call('GET', `/v1/tokens/${token.id}`, { key: a.key });

    // Assess
    expect(put.status).toBe(404);
    expect(del.status).toBe(404);
    expect(list.body.data).toEqual([]);
    // A's token is untouched
    expect(own.body.access_token).toBeDefined();
  });

  it('pagination walks every token exactly once; filters by provider, key, or both', async () => {
    // Prepare
    const { key } = await api.register();
    const made: string[] = [];
    const pairs = ['google/u0', 'github/u0', 'google/u1', 'github/u1', 'google/u2', 'slack/u0', 'google/u3'];
    for (const pair of pairs) {
      const [provider, user] = pair.split('/');
      const res = await api.call('POST', '/v1/tokens', { key, body: newToken({ provider, key: user }) });
      expect(res.status).toBe(201);
      made.push(res.body.id);
    }

    // Act
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await api.call('GET', `/v1/tokens?limit=3${q}`, { key });
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(3);
      for (const t of page.body.data) {
        expect(t).not.toHaveProperty('access_token');
        seen.push(t.id);
      }
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);

    // Assess
    expect(seen.sort()).toEqual([...made].sort());

    // Act
    const google = await api.call('GET', '/v1/tokens?provider=google', { key });

    // Assess
    expect(google.body.data).toHaveLength(4);
    expect(google.body.next_cursor).toBeNull();

    // Act
    const both = await api.call('GET', '/v1/tokens?provider=github&key=u1', { key });

    // Assess
    expect(both.body.data.map((t: { provider: string; key: string }) => `${t.provider}/${t.key}`)).toEqual([
      'github/u1',
    ]);

    // Act
    const byKey = await api.call('GET', '/v1/tokens?key=u0&limit=100', { key });

    // Assess
    expect(byKey.body.data.map((t: { key: string }) => t.key)).toEqual(['u0', 'u0', 'u0']);
  });

  it("a cursor is refused by another tenant (400) and can't reach its data", async () => {
    // Prepare
    const a = await api.register();
    const b = await api.register();
    for (let i = 0; i < 3; i++) await api.call('POST', '/v1/tokens', { key: a.key, body: newToken() });
    const page = await api.call('GET', '/v1/tokens?limit=1', { key: a.key });
    expect(page.body.next_cursor).toEqual(expect.any(String));

    // Act
    const res = await api.call(
      'GET',
      `/v1/tokens?limit=1&cursor=${encodeURIComponent(page.body.next_cursor)}`,
      { key: b.key },
    );

    // Assess
    expect(res.status).toBe(400);

    // Act
    const garbage = await api.call('GET', '/v1/tokens?cursor=garbage', { key: a.key });

    // Assess
    expect(garbage.status).toBe(400);
  });
});

describe('encryption at rest', () => {
  it('no table item holds a plaintext token, refresh token or API key', async () => {
    // Prepare
    const { tenantId, key } = await api.register();
    const secrets = [key];
    for (let i = 0; i < 3; i++) {
      const input = newToken();
      secrets.push(input.access_token, input.refresh_token);
      await api.call('POST', '/v1/tokens', { key, body: input });
    }
    const updated = newToken();
    const first = (await api.call('GET', '/v1/tokens?limit=1', { key })).body.data[0];
    await api.call('PUT', `/v1/tokens/${first.id}`, { key, body: { access_token: updated.access_token } });
    secrets.push(updated.access_token);

    // Act
    const items = await tenantItems(tenantId);

    // Assess
    expect(items.filter((i) => i.type === 'token')).toHaveLength(3);
    const { ddb, tableName } = await import('../../lib/aws.js');
    const keyItem = await ddb.send(
      new GetCommand({ TableName: tableName, Key: { PK: `APIKEY#${key.split('_')[2]}`, SK: 'APIKEY' } }),
    );
    const dump = JSON.stringify([...items, keyItem.Item]);
    for (const s of secrets) expect(dump).not.toContain(s);
    expect(dump).not.toContain(key.split('_').slice(3).join('_'));
    for (const t of items.filter((i) => i.type === 'token')) {
      expect(t.access_token_enc).toMatch(/^v1\.1\.[\w-]{16}\.[\w-]+$/);
    }
  });

  it('a tampered or moved ciphertext fails closed: 500 with only a request id', async () => {
    // Prepare
    const { tenantId, key } = await api.register();
    const one = (await api.call('POST', '/v1/tokens', { key, body: newToken() })).body;
    const two = (await api.call('POST', '/v1/tokens', { key, body: newToken() })).body;

    // Prepare: token one's ciphertext moved onto token two.
    const { ddb, tableName } = await import('../../lib/aws.js');
    const k1 = { PK: `TENANT#${tenantId}`, SK: `TOKEN#${one.id}` };
    const item1 = (await ddb.send(new GetCommand({ TableName: tableName, Key: k1 }))).Item as Record<
      string,
      string
    >;
    // Move token one's ciphertext onto token two.
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { PK: `TENANT#${tenantId}`, SK: `TOKEN#${two.id}` },
        UpdateExpression: 'SET access_token_enc = :c',
        ExpressionAttributeValues: { ':c': item1.access_token_enc },
      }),
    );

    // Act
    const moved = await api.call('GET', `/v1/tokens/${two.id}`, { key });

    // Assess
    expect(moved.status).toBe(500);
    expect(Object.keys(moved.body).sort()).toEqual(['detail', 'request_id', 'status', 'title', 'type']);
    expect(moved.text).not.toMatch(/decrypt|cipher|aes|stack/i);

    // Prepare: flip one character of token one's own ciphertext.
    const c = item1.access_token_enc as string;
    const last = c.at(-2) === 'A' ? 'B' : 'A';
    await ddb.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...item1, access_token_enc: `${c.slice(0, -2)}${last}${c.at(-1)}` },
      }),
    );

    // Act
    const flipped = await api.call('GET', `/v1/tokens/${one.id}`, { key });

    // Assess
    expect(flipped.status).toBe(500);
  });
});
