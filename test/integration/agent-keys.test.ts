import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { routeList } from '../../functions/routes.js';
import { type Api, startApi } from '../helpers/api.js';
import { echo, startUpstream, type Upstream } from '../helpers/upstream.js';

// Agent keys and the MCP endpoint, end to end: the local server, an HTTPS provider API that
// records what reaches it, DynamoDB Local; MCP through the SDK's own client.

let api: Api;
let up: Upstream;
let tenant: { tenantId: string; key: string };
const tokens: Record<string, { id: string; access_token: string }> = {};

beforeAll(async () => {
  api = await startApi();
  up = await startUpstream();
  tenant = await api.register('Agents');
  for (const provider of ['acme', 'other']) {
    const app = await api.call('POST', '/v1/oauth-apps', {
      key: tenant.key,
      body: {
        provider,
        client_id: 'client',
        client_secret: 'secret',
        redirect_urls: ['https://app.example.com/oauth'],
        custom: {
          name: provider,
          authorization_url: `${up.url}/authorize`,
          token_url: `${up.url}/token`,
          api_base_url: `${up.url}/${provider}`,
        },
      },
    });
    expect(app.status).toBe(201);
  }
  for (const [provider, key] of [
    ['acme', 'user-1'],
    ['acme', 'user-2'],
    ['acme', 'team-1'],
    ['other', 'user-1'],
  ] as const) {
    const access_token = `at-${provider}-${key}-${randomBytes(8).toString('hex')}`;
    const res = await api.call('POST', '/v1/tokens', {
      key: tenant.key,
      body: { provider, key, access_token },
    });
    expect(res.status).toBe(201);
    tokens[`${provider}/${key}`] = { id: res.body.id, access_token };
  }
});

afterAll(async () => {
  await up?.close();
  await api?.close();
});

beforeEach(() => {
  up.received.length = 0;
  up.respond = echo;
});

async function agentKey(body: Record<string, unknown>) {
  const res = await api.call('POST', '/v1/agent-keys', {
    key: tenant.key,
    body: { name: 'agent', expires_in: 3600, ...body },
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; key: string; expires_at: string; max_calls: number | null };
}

/** Waits until just past an agent key's `expires_at` (a short-lived key: made with a margin, waited for by the clock). */
const pastExpiry = (expiresAt: string) =>
  new Promise((r) => setTimeout(r, Math.max(0, Date.parse(expiresAt) - Date.now()) + 100));

const call = (key: string, method: string, provider: string, path: string, conn: Record<string, string>) =>
  api.call(method, `/v1/proxy/${provider}${path}`, { key, headers: conn });

describe('agent keys', () => {
  it('are shown once, recognisably, and listed with their use but never the key', async () => {
    // Act
    const made = await agentKey({ allow: [{ provider: 'acme', key: 'user-1' }], max_calls: 5 });

    // Assess
    expect(made.key).toMatch(/^vk_agent_[0-9a-z]{16}_[A-Za-z0-9_-]{43}$/);
    expect(made).toMatchObject({ name: 'agent', allow: [{ provider: 'acme', key: 'user-1' }], max_calls: 5 });
    expect(Date.parse(made.expires_at) - Date.now()).toBeGreaterThan(3500_000);

    // Act: one use, then the list.
    const used = await call(made.key, 'GET', 'acme', '/me', { 'vault-connection-key': 'user-1' });
    const list = await api.call('GET', '/v1/agent-keys', { key: tenant.key });

    // Assess
    expect(used.status).toBe(200);
    expect(list.status).toBe(200);
    const mine = list.body.data.find((k: { id: string }) => k.id === made.id);
    expect(mine).toMatchObject({ calls: 1, max_calls: 5, prefix: `vk_agent_${made.id}` });
    expect(mine.last_used_at).not.toBeNull();
    expect(list.text).not.toContain(made.key);
    expect(list.text).not.toContain('secret_hash');
  });

  it.each([
    ['expires_in 0', { expires_in: 0 }],
    ['expires_in over a day', { expires_in: 86_401 }],
    ['an empty allow-list', { allow: [] }],
    ['a path without /', { allow: [{ provider: 'acme', key: 'x', paths: ['files'] }] }],
    ['a path with dot segments', { allow: [{ provider: 'acme', key: 'x', paths: ['/a/../b'] }] }],
    ['an unknown method', { allow: [{ provider: 'acme', key: 'x', methods: ['BREW'] }] }],
  ])('refuses %s (422)', async (_name, body) => {
    // Act
    const res = await api.call('POST', '/v1/agent-keys', {
      key: tenant.key,
      body: { name: 'a', expires_in: 60, allow: [{ provider: 'acme', key: 'x' }], ...body },
    });

    // Assess
    expect(res.status).toBe(422);
  });

  it('work within the allow-list only: another provider, key, token id, method or path gets 403 and nothing upstream', async () => {
    // Prepare
    const { key } = await agentKey({
      allow: [
        { provider: 'acme', key: 'user-*', methods: ['GET', 'POST'], paths: ['/files', '/me'] },
        { provider: 'other', key: 'user-1', methods: ['GET'] },
      ],
    });
    const allowed = [
      ['GET', 'acme', '/files', { 'vault-connection-key': 'user-1' }],
      ['POST', 'acme', '/files/a/b', { 'vault-connection-key': 'user-2' }],
      ['GET', 'acme', '/me', { 'vault-token-id': tokens['acme/user-2']?.id as string }],
      ['GET', 'other', '/anything', { 'vault-connection-key': 'user-1' }],
    ] as const;

    // Act
    const allowedStatuses = [];
    for (const [method, provider, path, conn] of allowed) {
      allowedStatuses.push({
        call: `${method} ${provider}${path}`,
        res: await call(key, method, provider, path, conn),
      });
    }

    // Assess
    for (const { call, res } of allowedStatuses) expect(res.status, call).toBe(200);
    expect(up.received).toHaveLength(allowed.length);
    expect(up.received[0]?.headers.authorization).toBe(`Bearer ${tokens['acme/user-1']?.access_token}`);

    // Prepare
    up.received.length = 0;
    const refused = [
      ['GET', 'acme', '/files', { 'vault-connection-key': 'team-1' }], // key outside the prefix
      ['GET', 'acme', '/me', { 'vault-token-id': tokens['acme/team-1']?.id as string }], // by id, same
      ['DELETE', 'acme', '/files', { 'vault-connection-key': 'user-1' }], // method
      ['GET', 'acme', '/filesx', { 'vault-connection-key': 'user-1' }], // not at a segment boundary
      ['GET', 'acme', '/admin', { 'vault-connection-key': 'user-1' }], // path
      ['POST', 'other', '/anything', { 'vault-connection-key': 'user-1' }], // method on the other provider
      ['GET', 'other', '/anything', { 'vault-connection-key': 'user-2' }], // key on the other provider
      ['GET', 'github', '/user', { 'vault-connection-key': 'user-1' }], // provider
    ] as const;

    // Act: paths match after dot segments are resolved (here by the URL parser: /files/../admin is
    // /admin); the proxy refuses any left in the path as received (test/integration/proxy.test.ts).
    const refusedStatuses = [];
    for (const [method, provider, path, conn] of refused) {
      const label = `${method} ${provider}${path} ${JSON.stringify(conn)}`;
      refusedStatuses.push({ label, res: await call(key, method, provider, path, conn) });
    }
    const dots = await call(key, 'GET', 'acme', '/files/%2e%2e/admin', { 'vault-connection-key': 'user-1' });

    // Assess
    for (const { label, res } of refusedStatuses) expect(res.status, label).toBe(403);
    expect(dots.status).toBe(403);
    expect(up.received).toHaveLength(0);
  });

  it('stop at expiry (401)', async () => {
    // Prepare
    // 5 s: enough for the first call to land in time on a loaded machine.
    const { key, expires_at } = await agentKey({ allow: [{ provider: 'acme', key: '*' }], expires_in: 5 });

    // Act: one call in time, one after expiry.
    const before = await call(key, 'GET', 'acme', '/me', { 'vault-connection-key': 'user-1' });
    await pastExpiry(expires_at);
    const res = await call(key, 'GET', 'acme', '/me', { 'vault-connection-key': 'user-1' });

    // Assess
    expect(before.status).toBe(200);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(up.received).toHaveLength(1);
  });

  it('stop when revoked (401), at once', async () => {
    // Prepare
    const made = await agentKey({ allow: [{ provider: 'acme', key: '*' }] });
    const conn = { 'vault-connection-key': 'user-1' };

    // Act: use, revoke, use again, revoke again.
    const before = await call(made.key, 'GET', 'acme', '/me', conn);
    const revoked = await api.call('DELETE', `/v1/agent-keys/${made.id}`, { key: tenant.key });
    const after = await call(made.key, 'GET', 'acme', '/me', conn);
    const again = await api.call('DELETE', `/v1/agent-keys/${made.id}`, { key: tenant.key });
    const list = await api.call('GET', '/v1/agent-keys', { key: tenant.key });

    // Assess
    expect(before.status).toBe(200);
    expect(revoked.status).toBe(204);
    expect(after.status).toBe(401);
    expect(again.status).toBe(404);
    expect(list.body.data.map((k: { id: string }) => k.id)).not.toContain(made.id);
    expect(up.received).toHaveLength(1);
  });

  it('cannot be revoked by another tenant (404)', async () => {
    // Prepare
    const made = await agentKey({ allow: [{ provider: 'acme', key: '*' }] });
    const other = await api.register('Other');

    // Act
    const revoke = await api.call('DELETE', `/v1/agent-keys/${made.id}`, { key: other.key });
    const still = await call(made.key, 'GET', 'acme', '/me', { 'vault-connection-key': 'user-1' });

    // Assess
    expect(revoke.status).toBe(404);
    expect(still.status).toBe(200);
  });

  it('stop after max_calls (401), counted atomically under concurrency', async () => {
    // Prepare
    const { id, key } = await agentKey({ allow: [{ provider: 'acme', key: '*' }], max_calls: 3 });

    // Act
    const results = await Promise.all(
      Array.from({ length: 10 }, () => call(key, 'GET', 'acme', '/me', { 'vault-connection-key': 'user-1' })),
    );

    // Assess
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 401, 401, 401, 401, 401, 401, 401]);
    expect(up.received).toHaveLength(3);
    const list = await api.call('GET', '/v1/agent-keys', { key: tenant.key });
    expect(list.body.data.find((k: { id: string }) => k.id === id).calls).toBe(3);
  });

  it('get 403 on every route but the proxy and MCP, and never a token', async () => {
    // Prepare
    const { key } = await agentKey({ allow: [{ provider: 'acme', key: '*' }] });
    const others = routeList.filter((r) => r.id !== 'Proxy' && r.id !== 'Mcp');

    // Act
    const answers = [];
    for (const r of others) {
      const path = r.path.replace('{id}', tokens['acme/user-1']?.id as string).replace(/\{\w+\}/g, 'x');
      const method = r.method === 'ANY' ? 'GET' : r.method;
      const res = await api.call(method, path, {
        key,
        ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }),
      });
      answers.push({ route: `${r.method} ${r.path}`, res });
    }

    // Assess
    expect(others.length).toBeGreaterThan(20);
    for (const { route, res } of answers) {
      expect(res.status, route).toBe(403);
      expect(res.text).not.toContain(tokens['acme/user-1']?.access_token);
    }
  });
});

describe('MCP', () => {
  async function connect(key: string) {
    const client = new Client({ name: 'test-agent', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${api.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${key}` } },
    });
    await client.connect(transport);
    return client;
  }

  it('offers list_connections and call_api, within the allow-list, through the SDK client', async () => {
    // Prepare
    const { key } = await agentKey({
      allow: [
        { provider: 'acme', key: 'user-*', methods: ['GET', 'POST'], paths: ['/items'] },
        { provider: 'other', key: 'user-1' },
      ],
      max_calls: 3,
    });
    up.respond = (_req, res, r) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: r.method, url: r.url }));
    };
    const client = await connect(key);
    try {
      // Act
      const tools = await client.listTools();

      // Assess
      expect(tools.tools.map((t) => t.name).sort()).toEqual(['call_api', 'list_connections']);

      // Act
      const listed = await client.callTool({ name: 'list_connections', arguments: {} });

      // Assess
      const connections = (listed.structuredContent as { connections: { provider: string; key: string }[] })
        .connections;
      expect(connections.map((c) => `${c.provider}/${c.key}`).sort()).toEqual([
        'acme/user-1',
        'acme/user-2',
        'other/user-1',
      ]);
      expect(JSON.stringify(listed)).not.toMatch(/at-(acme|other)-/); // no token

      // Act
      const got = await client.callTool({
        name: 'call_api',
        arguments: {
          provider: 'acme',
          key: 'user-2',
          method: 'POST',
          path: '/items/7',
          query: { a: '1 2' },
          body: { x: 1 },
        },
      });

      // Assess
      expect(got.isError).toBeFalsy();
      const result = got.structuredContent as { status: number; body: string };
      expect(result.status).toBe(200);
      expect(JSON.parse(result.body)).toMatchObject({ method: 'POST', url: '/acme/items/7?a=1+2' });
      expect(up.received[0]?.headers.authorization).toBe(`Bearer ${tokens['acme/user-2']?.access_token}`);
      expect(up.received[0]?.body).toBe('{"x":1}');
      expect(JSON.stringify(got)).not.toContain(tokens['acme/user-2']?.access_token);

      // Act
      const outside = await client.callTool({
        name: 'call_api',
        arguments: { provider: 'acme', key: 'team-1', method: 'GET', path: '/items' },
      });

      // Assess
      expect(outside.isError).toBe(true);
      expect(JSON.stringify(outside.content)).toContain('403');

      // Act
      const badPath = await client.callTool({
        name: 'call_api',
        arguments: { provider: 'acme', key: 'user-1', method: 'GET', path: '/items/../admin' },
      });

      // Assess
      expect(badPath.isError).toBe(true);
      expect(up.received).toHaveLength(1);

      // Act: max_calls counts call_api calls too: 1 used above, 2 left.
      const withinLimit = [];
      for (let i = 0; i < 2; i++) {
        withinLimit.push(
          await client.callTool({
            name: 'call_api',
            arguments: { provider: 'other', key: 'user-1', method: 'GET', path: '/x' },
          }),
        );
      }
      const spent = await client.callTool({
        name: 'call_api',
        arguments: { provider: 'other', key: 'user-1', method: 'GET', path: '/x' },
      });

      // Assess
      for (const r of withinLimit) expect(r.isError).toBeFalsy();
      expect(spent.isError).toBe(true);
      expect(JSON.stringify(spent.content)).toContain('401');
      expect(up.received).toHaveLength(3);
    } finally {
      await client.close();
    }
  });

  it('takes agent keys only', async () => {
    // Prepare
    const init = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    };
    const headers = { accept: 'application/json, text/event-stream' };

    // Act: no key, a tenant key, a new agent key (POST and GET; it lives 5 s, so it is made just
    // before use), the agent key once expired.
    const anonymous = await api.call('POST', '/mcp', { body: init, headers });
    const tenantKey = await api.call('POST', '/mcp', { key: tenant.key, body: init, headers });
    const { key, expires_at } = await agentKey({ allow: [{ provider: 'acme', key: '*' }], expires_in: 5 });
    const agent = await api.call('POST', '/mcp', { key, body: init, headers });
    const get = await api.call('GET', '/mcp', { key });
    await pastExpiry(expires_at);
    const expired = await api.call('POST', '/mcp', { key, body: init, headers });

    // Assess
    expect(anonymous.status).toBe(401);
    expect(tenantKey.status).toBe(403);
    expect(agent.status).toBe(200);
    expect(get.status).toBe(405);
    expect(expired.status).toBe(401);
  });
});
