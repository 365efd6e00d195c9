import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Api, startApi } from '../helpers/api.js';
import { acmeApp, type OAuthServer, startOAuthServer } from '../helpers/oauth-server.js';
import { echo, startUpstream, type Upstream } from '../helpers/upstream.js';

// The proxy end to end: the real local server, a provider API over HTTPS on 127.0.0.1 (a
// certificate made at test time, trusted by this process only) that records what it receives, a
// real OAuth server for refreshes, DynamoDB Local.

const saved = { ...process.env };
let api: Api;
let up: Upstream;
let idp: OAuthServer;
let tenant: { tenantId: string; key: string };
const logged: string[] = [];
const write = process.stdout.write.bind(process.stdout);

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    logged.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  api = await startApi();
  up = await startUpstream();
  idp = await startOAuthServer({ redirectUris: [`${api.url}/v1/connect/callback`] });
  tenant = await api.register('Proxy');
  const app = await api.call('POST', '/v1/oauth-apps', {
    key: tenant.key,
    body: acmeApp(idp, {}, { api_base_url: `${up.url}/api` }),
  });
  expect(app.status).toBe(201);
  expect(app.body.api_base_url).toBe(`${up.url}/api`);
});

afterAll(async () => {
  await idp?.close();
  await up?.close();
  await api?.close();
  process.stdout.write = write;
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

beforeEach(() => {
  up.received.length = 0;
  up.respond = echo;
  idp.tokenRequests.refresh_token = 0;
});

async function seed(key = `u-${randomBytes(4).toString('hex')}`, expiresIn = 3600) {
  const set = await idp.issueTokens({ scope: 'read' });
  const res = await api.call('POST', '/v1/tokens', {
    key: tenant.key,
    body: {
      provider: 'acme',
      key,
      access_token: set.access_token,
      refresh_token: set.refresh_token,
      expires_in: expiresIn,
    },
  });
  expect(res.status).toBe(201);
  return { id: res.body.id as string, key, ...set };
}

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** node:http with a path option, so the path goes out exactly as written (a URL would be normalised). */
function raw(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Raw> {
  const { hostname, port } = new URL(api.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const auth = (key = tenant.key) => ({ authorization: `Bearer ${key}` });

describe('the proxy', () => {
  it('injects the token, forwards method, path, query and body, and returns what the provider sent', async () => {
    // Prepare
    const t = await seed();
    up.respond = (_req, res) => {
      res.writeHead(201, {
        'content-type': 'application/vnd.acme+json',
        'x-upstream': 'yes',
        'set-cookie': 'session=abc',
        'cache-control': 'private, max-age=10',
      });
      res.end('{"made":true}');
    };

    // Act
    const res = await raw(
      'POST',
      '/v1/proxy/acme/v2/items?limit=5&q=a%20b',
      {
        ...auth(),
        'vault-connection-key': t.key,
        'content-type': 'application/json',
        'x-custom': 'kept',
        'x-hop': 'dropped',
        connection: 'keep-alive, x-hop',
        'keep-alive': 'timeout=5',
        'proxy-authorization': 'Basic c2VjcmV0',
        'vault-anything': 'dropped',
        cookie: 'vault_session=1',
        'x-forwarded-for': '203.0.113.9',
      },
      Buffer.from('{"name":"x"}'),
    );

    // Assess
    expect(res.status).toBe(201);
    expect(res.body.toString()).toBe('{"made":true}');
    expect(res.headers['content-type']).toBe('application/vnd.acme+json');
    expect(res.headers['x-upstream']).toBe('yes');
    expect(res.headers['cache-control']).toBe('private, max-age=10');
    expect(res.headers['set-cookie']).toBeUndefined();

    expect(up.received).toHaveLength(1);
    const got = up.received[0];
    expect(got?.method).toBe('POST');
    expect(got?.url).toBe('/api/v2/items?limit=5&q=a%20b');
    expect(got?.body).toBe('{"name":"x"}');
    expect(got?.headers.authorization).toBe(`Bearer ${t.access_token}`);
    expect(got?.headers['x-custom']).toBe('kept');
    expect(got?.headers['content-type']).toBe('application/json');
    const names = (got?.rawHeaders ?? []).filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    for (const name of ['x-hop', 'keep-alive', 'proxy-authorization', 'cookie', 'x-forwarded-for'])
      expect(names).not.toContain(name);
    expect(names.filter((n) => n.startsWith('vault-'))).toEqual([]);
    // The vault key appears nowhere upstream: not in a header, not in the body, not in the URL.
    expect(JSON.stringify(got)).not.toContain(tenant.key);
  });

  it('picks the token by Vault-Token-Id too, and only for the provider in the path', async () => {
    // Prepare
    const t = await seed();

    // Act
    const ok = await api.call('GET', '/v1/proxy/acme/me', {
      key: tenant.key,
      headers: { 'vault-token-id': t.id },
    });

    // Assess
    expect(ok.status).toBe(200);
    expect(ok.body.authorization).toBe(`Bearer ${t.access_token}`);

    // Act
    const other = await api.call('GET', '/v1/proxy/github/me', {
      key: tenant.key,
      headers: { 'vault-token-id': t.id },
    });

    // Assess
    expect(other.status).toBe(404);

    // Act
    const neither = await api.call('GET', '/v1/proxy/acme/me', { key: tenant.key });

    // Assess
    expect(neither.status).toBe(400);

    // Act
    const unknown = await api.call('GET', '/v1/proxy/acme/me', {
      key: tenant.key,
      headers: { 'vault-connection-key': 'nobody' },
    });

    // Assess
    expect(unknown.status).toBe(404);
    expect(up.received).toHaveLength(1);
  });

  it('takes any method, and needs an API key with tokens:read', async () => {
    // Prepare
    const t = await seed();
    const writer = await api.call('POST', '/v1/api-keys', {
      key: tenant.key,
      body: { name: 'w', scopes: ['tokens:write'] },
    });

    // Act
    const answers = [];
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
      const res = await api.call(method, '/v1/proxy/acme/x', {
        key: tenant.key,
        headers: { 'vault-connection-key': t.key },
      });
      answers.push({ method, res });
    }
    const denied = await api.call('GET', '/v1/proxy/acme/x', {
      key: writer.body.api_key,
      headers: { 'vault-connection-key': t.key },
    });
    const anon = await api.call('GET', '/v1/proxy/acme/x', { headers: { 'vault-connection-key': t.key } });

    // Assess
    for (const { method, res } of answers) {
      expect(res.status).toBe(200);
      expect(res.body.method).toBe(method);
    }
    expect(denied.status).toBe(403);
    expect(anon.status).toBe(401);
    expect(up.received).toHaveLength(4);
  });

  it('holds API base URLs to the token URL rules', async () => {
    // Act: each bad base URL, for a custom provider and for an app.
    const answers = [];
    for (const [where, url] of [
      ['custom', 'http://example.com/api'], // http only for localhost, and only locally
      ['custom', 'ftp://127.0.0.1/api'],
      ['app', 'http://example.com/api'],
    ] as const) {
      const res = await api.call('POST', '/v1/oauth-apps', {
        key: tenant.key,
        body: {
          provider: where === 'custom' ? 'bad-base' : 'github',
          client_id: 'c',
          client_secret: 's',
          redirect_urls: ['https://app.example.com/oauth'],
          ...(where === 'custom'
            ? {
                custom: {
                  name: 'Bad',
                  authorization_url: idp.authorizationUrl,
                  token_url: idp.tokenUrl,
                  api_base_url: url,
                },
              }
            : { api_base_url: url }),
        },
      });
      answers.push({ where, url, res });
    }

    // Assess
    for (const { where, url, res } of answers) {
      expect(res.status, url).toBe(422);
      expect(res.body.errors[0].path).toBe(
        where === 'custom' ? 'body.custom.api_base_url' : 'body.api_base_url',
      );
    }
  });

  it('a provider without an API base URL is a 409, and nothing is sent', async () => {
    // Prepare
    const res0 = await api.call('POST', '/v1/tokens', {
      key: tenant.key,
      body: { provider: 'salesforce', key: 'org-1', access_token: 'sf-token' },
    });
    expect(res0.status).toBe(201);

    // Act
    const res = await api.call('GET', '/v1/proxy/salesforce/services/data', {
      key: tenant.key,
      headers: { 'vault-connection-key': 'org-1' },
    });

    // Assess
    expect(res.status).toBe(409);
    expect(res.text).not.toContain('sf-token');
    expect(up.received).toHaveLength(0);
  });

  it("another tenant's connection is not found", async () => {
    // Prepare
    const t = await seed();
    const other = await api.register('Other');

    // Act
    const res = await api.call('GET', '/v1/proxy/acme/x', {
      key: other.key,
      headers: { 'vault-token-id': t.id },
    });

    // Assess
    expect(res.status).toBe(404);

    // Act
    const byKey = await api.call('GET', '/v1/proxy/acme/x', {
      key: other.key,
      headers: { 'vault-connection-key': t.key },
    });

    // Assess
    expect(byKey.status).toBe(404);
    expect(up.received).toHaveLength(0);
  });

  // The local server routes on the resolved path, as API Gateway does; the proxy checks the path as
  // received. A path that resolves outside /v1/proxy/{provider}/ matches no route at all (404).
  it.each([
    ['dot-dot', '/v1/proxy/acme/a/../b', 400],
    ['dot-dot out of the proxy', '/v1/proxy/acme/a/../../admin', 404],
    ['dot', '/v1/proxy/acme/./a', 400],
    ['encoded dot-dot', '/v1/proxy/acme/a/%2e%2e/b', 400],
    ['encoded dot-dot out of the proxy', '/v1/proxy/acme/a/%2e%2e/%2E%2E/admin', 404],
    ['encoded slash', '/v1/proxy/acme/a%2f..%2fadmin', 400],
    ['encoded backslash', '/v1/proxy/acme/a%5c..%5cadmin', 400],
    ['backslash', '/v1/proxy/acme/a\\..\\admin', 400],
    ['absolute URL', '/v1/proxy/acme/https://evil.example/x', 400],
    ['protocol-relative', '/v1/proxy/acme//evil.example/x', 400],
    ['empty segment', '/v1/proxy/acme/a//b', 400],
    ['encoded NUL', '/v1/proxy/acme/a%00b', 400],
    ['bad percent-encoding', '/v1/proxy/acme/a%zz', 400],
  ])('refuses a path escape: %s', async (_name, path, status) => {
    // Prepare
    const t = await seed();

    // Act
    const res = await raw('GET', path, { ...auth(), 'vault-connection-key': t.key });

    // Assess
    expect(res.status).toBe(status);
    expect(up.received).toHaveLength(0);
  });

  it('keeps encoded characters that are not separators', async () => {
    // Prepare
    const t = await seed();

    // Act
    const res = await raw('GET', '/v1/proxy/acme/files/a%20b%2Bc/', {
      ...auth(),
      'vault-connection-key': t.key,
    });

    // Assess
    expect(res.status).toBe(200);
    expect(up.received[0]?.url).toBe('/api/files/a%20b%2Bc/');
  });

  it('on a 401 refreshes once and retries with the new token', async () => {
    // Prepare
    const t = await seed();
    up.respond = (_req, res, r) => {
      const fresh = r.headers.authorization !== `Bearer ${t.access_token}`;
      res.writeHead(fresh ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ fresh }));
    };

    // Act
    const res = await raw(
      'PUT',
      '/v1/proxy/acme/doc',
      { ...auth(), 'vault-connection-key': t.key },
      Buffer.from('v2'),
    );

    // Assess
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({ fresh: true });
    expect(idp.tokenRequests.refresh_token).toBe(1);
    expect(up.received.map((r) => r.body)).toEqual(['v2', 'v2']); // the body replayed
    const stored = await api.call('GET', `/v1/tokens/${t.id}`, { key: tenant.key });
    expect(up.received[1]?.headers.authorization).toBe(`Bearer ${stored.body.access_token}`);
    expect(stored.body.access_token).not.toBe(t.access_token);
  });

  it('on a second 401 gives up: exactly one refresh and one retry, and the 401 comes back', async () => {
    // Prepare
    const t = await seed();
    up.respond = (_req, res) => {
      res.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': 'Bearer error="invalid_token"',
      });
      res.end('{"error":"invalid_token"}');
    };

    // Act
    const res = await raw('GET', '/v1/proxy/acme/me', { ...auth(), 'vault-connection-key': t.key });

    // Assess
    expect(res.status).toBe(401);
    expect(res.body.toString()).toBe('{"error":"invalid_token"}');
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(up.received).toHaveLength(2);
    expect(idp.tokenRequests.refresh_token).toBe(1);
  });

  it('a 401 with a token that cannot refresh comes back as is, without a retry', async () => {
    // Prepare
    const res0 = await api.call('POST', '/v1/tokens', {
      key: tenant.key,
      body: { provider: 'acme', key: 'no-refresh', access_token: 'static-token' },
    });
    expect(res0.status).toBe(201);
    up.respond = (_req, res) => {
      res.writeHead(401);
      res.end('nope');
    };

    // Act
    const res = await raw('GET', '/v1/proxy/acme/me', { ...auth(), 'vault-connection-key': 'no-refresh' });

    // Assess
    expect(res.status).toBe(401);
    expect(res.body.toString()).toBe('nope');
    expect(up.received).toHaveLength(1);
    expect(idp.tokenRequests.refresh_token).toBe(0);
  });

  it('refreshes a token about to expire before calling', async () => {
    // Prepare
    const t = await seed(undefined, 60); // inside the refresh margin

    // Act
    const res = await api.call('GET', '/v1/proxy/acme/me', {
      key: tenant.key,
      headers: { 'vault-connection-key': t.key },
    });

    // Assess
    expect(res.status).toBe(200);
    expect(idp.tokenRequests.refresh_token).toBe(1);
    expect(res.body.authorization).not.toBe(`Bearer ${t.access_token}`);
  });

  it('streams a large response (7 MB): the first bytes arrive before the provider has sent the rest', async () => {
    // Prepare
    const t = await seed();
    const chunk = randomBytes(1024 * 1024);
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    up.respond = async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(chunk);
      await released; // the rest only once the caller has seen the first chunk
      for (let i = 0; i < 6; i++) res.write(chunk);
      res.end();
    };
    const hash = createHash('sha256');
    let total = 0;

    // Act
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${api.url}/v1/proxy/acme/blob`,
        { headers: { ...auth(), 'vault-connection-key': t.key } },
        (res) => {
          res.on('data', (c: Buffer) => {
            hash.update(c);
            total += c.length;
            if (total >= chunk.length) release();
          });
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });

    // Assess
    expect(status).toBe(200);
    expect(total).toBe(7 * chunk.length);
    const expected = createHash('sha256');
    for (let i = 0; i < 7; i++) expected.update(chunk);
    expect(hash.digest('hex')).toBe(expected.digest('hex'));
  });

  it('sends a large binary request body (7 MB) intact', async () => {
    // Prepare
    const t = await seed();
    const body = randomBytes(7 * 1024 * 1024);

    // Act
    const res = await raw(
      'POST',
      '/v1/proxy/acme/upload',
      { ...auth(), 'vault-connection-key': t.key, 'content-type': 'application/octet-stream' },
      body,
    );

    // Assess
    expect(res.status).toBe(200);
    expect(up.received[0]?.bodyBytes).toBe(body.length);
    expect(up.received[0]?.bodySha256).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('records each call in the log, without a token, a key or a body', async () => {
    // Prepare
    const t = await seed();
    logged.length = 0;

    // Act
    await raw(
      'POST',
      '/v1/proxy/acme/logged/path?secret_query=1',
      { ...auth(), 'vault-connection-key': t.key },
      Buffer.from('body-secret-123'),
    );

    // Assess
    const lines = logged.filter((l) => l.includes('"Proxy call"')).map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      method: 'POST',
      host: up.url.slice(8),
      path: '/api/logged/path',
      status: 200,
    });
    expect(typeof lines[0].duration_ms).toBe('number');
    expect(lines[0].key_id).toMatch(/^[0-9a-z]{16}$/);
    const all = logged.join('\n');
    for (const secret of [t.access_token, t.refresh_token, tenant.key, 'body-secret-123', 'secret_query'])
      expect(all).not.toContain(secret);
  });
});
