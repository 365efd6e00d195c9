import { createServer, type Server } from 'node:http';
import { PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Api, type ApiResponse, startApi } from '../helpers/api.js';
import { storeToken as storeTestToken, auditItems as trail } from '../helpers/audit.js';

// The audit trail (issue 11) through the real local server and DynamoDB Local: secret reads are
// recorded (fail closed), denied attempts are recorded for the right tenant, and the listing
// filters, orders, pages and forgets expired events.

let api: Api;
let idp: Server;
let idpUrl: string;

beforeAll(async () => {
  api = await startApi();
  // A token endpoint that always refreshes (for POST /v1/tokens/{id}/refresh).
  let grants = 0;
  idp = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      grants++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: `fresh-at-${grants}`, token_type: 'Bearer', expires_in: 3600 }));
    });
  });
  await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
  idpUrl = `http://127.0.0.1:${(idp.address() as { port: number }).port}`;
});

afterAll(async () => {
  await api.close();
  idp.close();
});

afterEach(() => {
  vi.restoreAllMocks();
});

// lib/aws loads lib/config: imported lazily, after test/setup/env.ts set the environment.
const aws = () => import('../../lib/aws.js');

/** Every raw audit item of a tenant, all month partitions of the last year (oldest first). */
const auditItems = (tenantId: string) => trail(tenantId, 14);

async function storeToken(key: string, extra: Record<string, unknown> = {}) {
  return (await storeTestToken(api, key, extra)).body as { id: string; provider: string; key: string };
}

async function keyWith(adminKey: string, scopes: string[], name = 'narrow') {
  const res = await api.call('POST', '/v1/api-keys', { key: adminKey, body: { name, scopes } });
  expect(res.status).toBe(201);
  return { key: res.body.api_key as string, id: res.body.id as string };
}

describe('secret reads', () => {
  it('GET /v1/tokens/{id} records token.read with every field, and no secret', async () => {
    // Prepare
    const { tenantId, key } = await api.register('Reader');
    const token = await storeToken(key);

    // Act
    const res = await api.call('GET', `/v1/tokens/${token.id}`, {
      key,
      headers: { 'user-agent': 'audit-test/1.0' },
    });

    // Assess
    expect(res.status).toBe(200);
    expect(res.body.access_token).toBe('ya29.SECRET-ACCESS-abc');

    // Act: the trail, the caller's own key, and the raw items
    const events = await api.call('GET', '/v1/audit-events?action=token.read', { key });
    const me = await api.call('GET', '/v1/api-keys', { key });
    const raw = JSON.stringify(await auditItems(tenantId));

    // Assess
    expect(events.status).toBe(200);
    expect(events.body.data).toHaveLength(1);
    const e = events.body.data[0];
    expect(e).toMatchObject({
      action: 'token.read',
      actor: { type: 'api_key', name: expect.any(String) },
      target: { type: 'token', id: token.id },
      outcome: 'success',
      request_id: res.headers.get('x-request-id'),
      source_ip: expect.stringMatching(/127\.0\.0\.1/),
      user_agent: 'audit-test/1.0',
    });
    expect(e.id).toMatch(/^aud_/);
    expect(Math.abs(Date.parse(e.time) - Date.now())).toBeLessThan(60_000);
    expect(e.actor.id).toBe(me.body.data[0].id);
    expect(raw).not.toContain('SECRET');
    expect(raw).not.toContain(key);
  });

  it('a missing token writes no record', async () => {
    // Prepare: only the registration's own event (every change is audited).
    const { tenantId, key } = await api.register();
    const before = await auditItems(tenantId);

    // Act
    const res = await api.call('GET', '/v1/tokens/tok_doesnotexist', { key });
    const after = await auditItems(tenantId);

    // Assess
    expect(res.status).toBe(404);
    expect(after).toEqual(before);
  });

  it('POST /v1/tokens/{id}/refresh records token.read when it returns secrets, not when it does not', async () => {
    // Prepare
    const { tenantId, key } = await api.register();
    const app = await api.call('POST', '/v1/oauth-apps', {
      key,
      body: {
        provider: 'audit-idp',
        client_id: 'c',
        client_secret: 's',
        redirect_urls: ['https://app.example.com/oauth'],
        custom: { name: 'Audit IdP', authorization_url: `${idpUrl}/auth`, token_url: `${idpUrl}/token` },
      },
    });
    const token = await storeToken(key, { provider: 'audit-idp' });
    const writer = await keyWith(key, ['tokens:write'], 'writer');

    // Act
    const withSecrets = await api.call('POST', `/v1/tokens/${token.id}/refresh`, { key });
    const metadataOnly = await api.call('POST', `/v1/tokens/${token.id}/refresh`, { key: writer.key });
    const items = (await auditItems(tenantId)).filter((e) => e.action === 'token.read');

    // Assess
    expect(app.status).toBe(201);
    expect(withSecrets.status).toBe(200);
    expect(withSecrets.body.access_token).toMatch(/^fresh-at-/);
    expect(metadataOnly.status).toBe(200);
    expect(metadataOnly.body.access_token).toBeUndefined();
    // The changes (app, token, key, refreshes) have their own events; one read returned secrets.
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      action: 'token.read',
      target: { type: 'token', id: token.id, provider: 'audit-idp', key: token.key },
      request_id: withSecrets.headers.get('x-request-id'),
    });
    expect(JSON.stringify(items)).not.toContain('fresh-at-');
  });

  it('fails closed: when the record cannot be written the secret is not returned (503)', async () => {
    // Prepare
    const { tenantId, key } = await api.register();
    const token = await storeToken(key);
    const before = await auditItems(tenantId);
    const { ddb } = await aws();
    // The one injected fault: DynamoDB refuses the audit write (the server runs in this process).
    const send = ddb.send.bind(ddb);
    vi.spyOn(ddb, 'send').mockImplementation(((command: unknown, ...rest: unknown[]) => {
      const isAudit = (c: unknown) =>
        JSON.stringify((c as { input?: unknown }).input ?? {}).includes('"type":"audit"');
      if ((command instanceof TransactWriteCommand || command instanceof PutCommand) && isAudit(command))
        return Promise.reject(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
      return (send as (...a: unknown[]) => unknown)(command, ...rest);
    }) as typeof ddb.send);

    // Act
    const res = await api.call('GET', `/v1/tokens/${token.id}`, { key });
    vi.restoreAllMocks();
    const after = await auditItems(tenantId);

    // Assess
    expect(res.status).toBe(503);
    expect(res.text).not.toContain('SECRET');
    expect(after).toEqual(before);

    // Act: once the trail works again, so does the read.
    const again = await api.call('GET', `/v1/tokens/${token.id}`, { key });

    // Assess
    expect(again.status).toBe(200);
  });
});

describe('denied attempts', () => {
  it('a 403 for a missing scope is recorded for the caller, with its key', async () => {
    // Prepare
    const { key } = await api.register();
    const token = await storeToken(key);
    const writer = await keyWith(key, ['tokens:write'], 'writer-403');

    // Act
    const res = await api.call('GET', `/v1/tokens/${token.id}`, { key: writer.key });
    const list = await api.call('GET', '/v1/audit-events', { key: writer.key });
    const events = await api.call('GET', '/v1/audit-events?outcome=x', { key });
    const all = (await api.call('GET', `/v1/audit-events?actor_id=${writer.id}`, { key })).body.data;

    // Assess
    expect(res.status).toBe(403);
    expect(list.status).toBe(403);
    expect(events.status).toBe(422); // unknown filter
    expect(all.map((e: { action: string }) => e.action)).toEqual(['audit.list', 'token.read']);
    expect(all[1]).toMatchObject({
      outcome: 'denied',
      actor: { type: 'api_key', id: writer.id, name: 'writer-403' },
      target: { type: 'token', id: token.id },
      request_id: res.headers.get('x-request-id'),
    });
  });

  it("a 404 on another tenant's token is recorded for the owner, with the caller's key; the answer is a missing id's", async () => {
    // Prepare
    const owner = await api.register('Owner');
    const other = await api.register('Other');
    const token = await storeToken(owner.key);
    const otherKeyId = (await api.call('GET', '/v1/api-keys', { key: other.key })).body.data[0].id;
    const shape = (r: { status: number; body: Record<string, unknown> }) => ({ ...r.body, request_id: 'x' });

    // Act
    const attempts = {
      GET: await api.call('GET', `/v1/tokens/${token.id}`, { key: other.key }),
      PUT: await api.call('PUT', `/v1/tokens/${token.id}`, { key: other.key, body: { metadata: { a: 1 } } }),
      DELETE: await api.call('DELETE', `/v1/tokens/${token.id}`, { key: other.key }),
      REFRESH: await api.call('POST', `/v1/tokens/${token.id}/refresh`, { key: other.key }),
    };
    const missing = {
      GET: await api.call('GET', '/v1/tokens/tok_missing', { key: other.key }),
      PUT: await api.call('PUT', '/v1/tokens/tok_missing', { key: other.key, body: { metadata: { a: 1 } } }),
      DELETE: await api.call('DELETE', '/v1/tokens/tok_missing', { key: other.key }),
      REFRESH: await api.call('POST', '/v1/tokens/tok_missing/refresh', { key: other.key }),
    };

    // Assess
    for (const m of ['GET', 'PUT', 'DELETE', 'REFRESH'] as const) {
      expect(attempts[m].status).toBe(404);
      expect(shape(attempts[m])).toEqual(shape(missing[m]));
      expect([...attempts[m].headers.keys()].sort()).toEqual([...missing[m].headers.keys()].sort());
    }

    // Act: the owner's trail, the owner's token, the caller's trail
    const ownerEvents = (
      await api.call('GET', `/v1/audit-events?target_id=${token.id}`, { key: owner.key })
    ).body.data.filter((e: { action: string }) => e.action !== 'token.create');
    const ownerRead = await api.call('GET', `/v1/tokens/${token.id}`, { key: owner.key });
    const otherItems = await auditItems(other.tenantId);

    // Assess: the owner's own token.create aside, the four attempts.
    expect(ownerEvents.map((e: { action: string }) => e.action).sort()).toEqual(
      ['token.delete', 'token.read', 'token.refresh', 'token.update'].sort(),
    );
    for (const e of ownerEvents) {
      expect(e).toMatchObject({
        outcome: 'denied',
        actor: { type: 'api_key', id: otherKeyId, name: expect.any(String) },
      });
    }
    // The owner's token is untouched, and nothing about either attempt lands in the caller's trail.
    expect(ownerRead.status).toBe(200);
    expect(otherItems.map((e) => e.action)).toEqual(['tenant.register']);
  });

  it("a missing id and another tenant's take the same time (medians reported)", {
    timeout: 60_000,
  }, async () => {
    // Prepare
    const owner = await api.register();
    const other = await api.register();
    const token = await storeToken(owner.key);
    const statuses: number[] = [];
    const time = async (path: string) => {
      const t0 = performance.now();
      const r = await api.call('GET', path, { key: other.key });
      statuses.push(r.status);
      return performance.now() - t0;
    };
    const cross: number[] = [];
    const miss: number[] = [];

    // Act
    for (let i = 0; i < 5; i++) await time('/v1/tokens/tok_warmup'); // warm the path
    for (let i = 0; i < 40; i++) {
      cross.push(await time(`/v1/tokens/${token.id}`));
      miss.push(await time(`/v1/tokens/tok_missing${i}`));
    }

    // Assess
    for (const status of statuses) expect(status).toBe(404);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    console.log(
      `404 timing, median of 40: another tenant's id ${median(cross).toFixed(2)} ms, missing id ${median(miss).toFixed(2)} ms`,
    );
    // Both do the same reads; the other tenant's also writes its record. Loose: shared CI machines.
    expect(median(cross)).toBeLessThan(median(miss) * 1.5 + 5);
  });
});

describe('GET /v1/audit-events', () => {
  it('filters by action, target, actor and time; newest first; pages with limit and cursor', async () => {
    // Prepare: five reads by two keys
    const { tenantId, key } = await api.register();
    const a = await storeToken(key);
    const b = await storeToken(key);
    const reader = await keyWith(key, ['tokens:read'], 'reader');
    const t0 = new Date().toISOString();
    const reads: number[] = [];
    for (const [k, id] of [
      [key, a.id],
      [reader.key, a.id],
      [key, b.id],
      [reader.key, b.id],
      [key, a.id],
    ] as const) {
      reads.push((await api.call('GET', `/v1/tokens/${id}`, { key: k })).status);
      await new Promise((r) => setTimeout(r, 5));
    }
    const t1 = new Date().toISOString();

    // Act
    const all = (await api.call('GET', '/v1/audit-events', { key })).body;
    const byTarget = (await api.call('GET', `/v1/audit-events?target_id=${a.id}`, { key })).body.data;
    const byActor = (await api.call('GET', `/v1/audit-events?actor_id=${reader.id}`, { key })).body.data;
    const none = (await api.call('GET', `/v1/audit-events?action=token.delete`, { key })).body.data;
    const window = (await api.call('GET', `/v1/audit-events?since=${t0}&until=${t1}`, { key })).body.data;
    const before = (await api.call('GET', `/v1/audit-events?until=${t0}`, { key })).body.data;

    // Assess: five reads, after the four changes that set them up (each change is audited too).
    for (const status of reads) expect(status).toBe(200);
    expect(all.data).toHaveLength(9);
    expect(all.next_cursor).toBeNull();
    const times = all.data.map((e: { time: string }) => e.time);
    expect(times).toEqual([...times].sort().reverse());
    expect(all.data.map((e: { target: { id: string } }) => e.target.id)).toEqual([
      a.id,
      b.id,
      b.id,
      a.id,
      a.id,
      reader.id,
      b.id,
      a.id,
      tenantId,
    ]);
    expect(byTarget).toHaveLength(4);
    expect(byActor.map((e: { target: { id: string } }) => e.target.id)).toEqual([b.id, a.id]);
    expect(none).toEqual([]);
    expect(window).toHaveLength(5);
    expect(before.map((e: { action: string }) => e.action)).toEqual([
      'api_key.create',
      'token.create',
      'token.create',
      'tenant.register',
    ]);

    // Act: since is inclusive and until exclusive, to the millisecond.
    const newest = all.data[0].time as string;
    const at = (await api.call('GET', `/v1/audit-events?since=${newest}`, { key })).body.data;
    const upTo = (await api.call('GET', `/v1/audit-events?until=${newest}`, { key })).body.data;

    // Assess
    expect(at.map((e: { id: string }) => e.id)).toEqual([all.data[0].id]);
    expect(upTo).toHaveLength(8);

    // Act: pages of two
    const pages: ApiResponse[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `limit=2&cursor=${cursor}` : 'limit=2';
      const page = await api.call('GET', `/v1/audit-events?${q}`, { key });
      pages.push(page);
      cursor = page.body.next_cursor;
    } while (cursor && pages.length < 10);

    // Assess: the same nine, in the same order.
    const seen: string[] = [];
    for (const page of pages) {
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((e: { id: string }) => e.id));
    }
    expect(seen).toEqual(all.data.map((e: { id: string }) => e.id));

    // Prepare: a cursor is bound to its tenant.
    const other = await api.register();

    // Act
    const first = await api.call('GET', '/v1/audit-events?limit=2', { key });
    const stolen = await api.call('GET', `/v1/audit-events?cursor=${first.body.next_cursor}`, {
      key: other.key,
    });

    // Assess
    expect(stolen.status).toBe(400);
    expect(tenantId).toBeTruthy();
  });

  it('walks back through months, and drops expired events (DynamoDB Local has no TTL)', async () => {
    // Prepare
    const { tenantId, key } = await api.register();
    const registered = (await auditItems(tenantId)).map((e) => e.id as string);
    const { putAudit, toAuditItem } = await import('../../lib/store/audit.js');
    const { ddb, tableName } = await aws();
    const event = (id: string, daysAgo: number) => ({
      id,
      time: new Date(Date.now() - daysAgo * 86_400_000).toISOString(),
      action: 'token.read' as const,
      actor: { type: 'system' as const, name: 'test' },
      target: { type: 'token' as const, id: 'tok_x' },
      outcome: 'success' as const,
      request_id: null,
      source_ip: null,
      user_agent: null,
    });
    await putAudit(tenantId, event('aud_recent', 1));
    await putAudit(tenantId, event('aud_40d', 40));
    await putAudit(tenantId, event('aud_100d', 100));
    await putAudit(tenantId, event('aud_400d', 400)); // beyond AUDIT_RETENTION_DAYS (365)
    // Recent, but its TTL has passed (what DynamoDB would delete within two days).
    await ddb.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...toAuditItem(tenantId, event('aud_expired', 0.5)),
          ttl: Math.floor(Date.now() / 1000) - 10,
        },
      }),
    );

    // Act
    const pages: ApiResponse[] = [];
    let cursor: string | null = null;
    for (let n = 0; n < 30; n++) {
      const q: string = cursor ? `limit=1&cursor=${cursor}` : 'limit=1';
      const page = await api.call('GET', `/v1/audit-events?${q}`, { key });
      pages.push(page);
      cursor = page.body.next_cursor;
      if (!cursor) break;
    }
    const since = new Date(Date.now() - 500 * 86_400_000).toISOString();
    const wide = await api.call('GET', `/v1/audit-events?since=${since}`, { key });

    // Assess: the registration's own event is the newest.
    expect(registered).toHaveLength(1);
    const seen: string[] = [];
    for (const page of pages) {
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((e: { id: string }) => e.id));
    }
    expect(seen).toEqual([...registered, 'aud_recent', 'aud_40d', 'aud_100d']);
    expect(wide.body.data.map((e: { id: string }) => e.id)).toEqual([
      ...registered,
      'aud_recent',
      'aud_40d',
      'aud_100d',
    ]);
  });
});
