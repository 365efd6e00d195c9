import { createHash } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from '../helpers/api.js';

// Dashboard sessions and the HTML routes' headers, over HTTP against the real local server: what
// a browser would see (status, Set-Cookie, headers) and what the table holds.

let api: Api;
let admin: string;
const SAME = { 'sec-fetch-site': 'same-origin' };

beforeAll(async () => {
  api = await startApi();
  admin = (await api.register('Dash')).key;
});
afterAll(() => api.close());

async function signIn(apiKey = admin, headers: Record<string, string> = { origin: api.url }) {
  const res = await api.call('POST', '/v1/dashboard/session', { body: { api_key: apiKey }, headers });
  const setCookie = res.headers.get('set-cookie') ?? '';
  return { res, setCookie, cookie: setCookie.split(';')[0] ?? '' };
}

async function sessionItem(cookie: string) {
  const { ddb, tableName } = await import('../../lib/aws.js');
  const id = cookie.split('=')[1] ?? '';
  const hash = createHash('sha256').update(id).digest('base64url');
  const out = await ddb.send(
    new GetCommand({ TableName: tableName, Key: { PK: `SESSION#${hash}`, SK: 'SESSION' } }),
  );
  return { item: out.Item, key: { PK: `SESSION#${hash}`, SK: 'SESSION' } };
}

const withCookie = (cookie: string, extra: Record<string, string> = SAME) => ({
  headers: { cookie, ...extra },
});

describe('dashboard sessions', () => {
  it('an admin key becomes an HttpOnly, SameSite=Strict cookie scoped to the API; only its hash is stored', async () => {
    // Act
    const { res, setCookie, cookie } = await signIn();

    // Assess
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ scopes: ['admin'], expires_at: expect.any(String) });
    expect(setCookie).toMatch(/^vault_session=[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/v1;');
    expect(setCookie).toContain('Max-Age=28800');
    expect(setCookie).not.toContain('Secure'); // plain http locally; Secure whenever the vault is on https
    expect(res.text).not.toContain(admin);

    const { item } = await sessionItem(cookie);
    expect(item).toMatchObject({
      type: 'dashboard_session',
      key_id: expect.any(String),
      ttl: expect.any(Number),
    });
    expect(JSON.stringify(item)).not.toContain(cookie.split('=')[1]);
    expect(JSON.stringify(item)).not.toContain(admin);

    // Act: the cookie in use.
    const me = await api.call('GET', '/v1/dashboard/session', withCookie(cookie));

    // Assess
    expect(me.status).toBe(200);
    expect((await api.call('GET', '/v1/tokens', withCookie(cookie))).status).toBe(200);
  });

  it('refuses keys without admin, wrong keys, and sign-ins from another origin', async () => {
    // Prepare
    const reader = await api.call('POST', '/v1/api-keys', {
      key: admin,
      body: { name: 'r', scopes: ['tokens:read'] },
    });

    // Act
    const asReader = await signIn(reader.body.api_key);
    const wrong = await signIn(`${admin.slice(0, -4)}AAAA`);
    const cross = await signIn(admin, { origin: 'https://evil.example' });

    // Assess
    expect(asReader.res.status).toBe(403);
    expect(wrong.res.status).toBe(401);
    expect(wrong.setCookie).toBe('');
    expect(cross.res.status).toBe(401);
    expect(cross.setCookie).toBe('');
  });

  it('accepts the cookie only from its own origin, reads included', async () => {
    // Prepare
    const { cookie } = await signIn();
    const refused: Record<string, string>[] = [
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'https://evil.example' },
      {}, // neither header: not provably from the dashboard
    ];

    // Act: each refused header set, then the own origin, then a cross-site write.
    const answers = [];
    for (const h of refused)
      answers.push({ h, res: await api.call('GET', '/v1/tokens', withCookie(cookie, h)) });
    const own = await api.call('GET', '/v1/tokens', withCookie(cookie, { origin: api.url }));
    const post = await api.call('POST', '/v1/api-keys', {
      ...withCookie(cookie, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }),
      body: { name: 'x', scopes: ['admin'] },
    });

    // Assess
    for (const { h, res } of answers) {
      expect(res.status, JSON.stringify(h)).toBe(401);
      expect(res.body.detail).toBe('A valid API key is required.');
    }
    expect(own.status).toBe(200);
    expect(post.status).toBe(401);
  });

  it('sign-out ends the session on the server', async () => {
    // Prepare
    const { cookie } = await signIn();

    // Act
    const out = await api.call('DELETE', '/v1/dashboard/session', withCookie(cookie));

    // Assess
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^vault_session=; Path=\/v1; Max-Age=0; HttpOnly/);
    expect((await sessionItem(cookie)).item).toBeUndefined();
    expect((await api.call('GET', '/v1/tokens', withCookie(cookie))).status).toBe(401);
  });

  it('revoking the key ends its sessions; a session does no more than its key', async () => {
    // Prepare
    const second = await api.call('POST', '/v1/api-keys', {
      key: admin,
      body: { name: 'ops', scopes: ['admin'] },
    });
    const { cookie } = await signIn(second.body.api_key);

    // Act: the session cannot revoke the key it came from, exactly like the key itself.
    const self = await api.call('DELETE', `/v1/api-keys/${second.body.id}`, withCookie(cookie));

    // Assess
    expect(self.status).toBe(409);

    // Act: the admin key revokes it, then the session is used.
    const revoked = await api.call('DELETE', `/v1/api-keys/${second.body.id}`, { key: admin });
    const after = await api.call('GET', '/v1/tokens', withCookie(cookie));

    // Assess
    expect(revoked.status).toBe(204);
    expect(after.status).toBe(401);
  });

  it('expires when idle and absolutely, checked in code (DynamoDB Local has no TTL)', async () => {
    // Prepare
    const { ddb, tableName } = await import('../../lib/aws.js');
    const age = async (cookie: string, attr: 'last_seen_at' | 'expires_at', iso: string) => {
      const { key } = await sessionItem(cookie);
      await ddb.send(
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: 'SET #a = :v',
          ExpressionAttributeNames: { '#a': attr },
          ExpressionAttributeValues: { ':v': iso },
        }),
      );
    };

    // Prepare: a session idle too long, one used just within the idle limit, one past its absolute expiry.
    const idle = await signIn();
    await age(idle.cookie, 'last_seen_at', new Date(Date.now() - 1801_000).toISOString());
    const active = await signIn();
    await age(active.cookie, 'last_seen_at', new Date(Date.now() - 1700_000).toISOString());
    const old = await signIn();
    await age(old.cookie, 'expires_at', new Date(Date.now() - 1000).toISOString());

    // Act
    const idleRes = await api.call('GET', '/v1/tokens', withCookie(idle.cookie));
    const activeRes = await api.call('GET', '/v1/tokens', withCookie(active.cookie));
    const oldRes = await api.call('GET', '/v1/tokens', withCookie(old.cookie));

    // Assess
    expect(idleRes.status).toBe(401);
    expect(activeRes.status).toBe(200);
    // ...and that use counts as activity.
    const seen = Date.parse((await sessionItem(active.cookie)).item?.last_seen_at as string);
    expect(Date.now() - seen).toBeLessThan(60_000);
    expect(oldRes.status).toBe(401);
  });

  it('an Authorization header wins over a cookie', async () => {
    // Act
    const res = await api.call('GET', '/v1/tokens', {
      key: admin,
      headers: { cookie: 'vault_session=garbage' },
    });

    // Assess
    expect(res.status).toBe(200);
  });
});

describe('HTML routes and their assets', () => {
  it('/docs: a CSP that runs only its own scripts, the renderer served by the vault, no empty headers', async () => {
    // Act
    const page = await api.call('GET', '/docs');

    // Assess
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/sandbox|trusted-types|cdn\.|https:/);
    expect(page.text).toContain('src="docs/redoc.standalone.js"');
    expect(page.text).not.toMatch(/https?:\/\//);

    // Act: the other HTML routes, and the renderer's script.
    for (const path of ['/docs', '/health', '/dashboard']) {
      // Assess
      const res = await api.call('GET', path);
      for (const [name, value] of res.headers) expect(value, `${path} ${name}`).not.toBe('');
      expect(res.headers.has('reporting-endpoints')).toBe(false);
      expect(res.headers.has('report-to')).toBe(false);
    }
    const js = await api.call('GET', '/docs/redoc.standalone.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.text.length).toBeGreaterThan(500_000);
    const etag = js.headers.get('etag') ?? '';
    expect(
      (await api.call('GET', '/docs/redoc.standalone.js', { headers: { 'if-none-match': etag } })).status,
    ).toBe(304);
    expect((await api.call('GET', '/docs/other.js')).status).toBe(404);
  });

  it('/dashboard: its page and built assets, under a self-only CSP', async () => {
    // Act
    const page = await api.call('GET', '/dashboard');
    const js = await api.call('GET', '/dashboard/app.js');
    const css = await api.call('GET', '/dashboard/app.css');
    const notAnAsset = await api.call('GET', '/dashboard/package.json');

    // Assess
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).not.toMatch(/unsafe|sandbox/);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(notAnAsset.status).toBe(404);
  });
});
