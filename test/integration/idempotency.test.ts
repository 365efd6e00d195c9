import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Api, startApi, tenantItems } from '../helpers/api.js';

// Idempotency-Key and X-Request-Id, through the real handlers over HTTP, against DynamoDB Local.

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

let n = 0;
const newToken = () => ({
  provider: 'google',
  key: `user-${process.pid}-${n++}`,
  access_token: `ya29.idem-${Math.random().toString(36).slice(2)}-access`,
  expires_in: 3600,
});
const tokensOf = async (tenantId: string) =>
  (await tenantItems(tenantId)).filter((i) => String(i.SK).startsWith('TOKEN#'));
const recordsOf = async (tenantId: string) =>
  (await tenantItems(tenantId)).filter((i) => String(i.SK).startsWith('IDEMPOTENCY#'));

describe('Idempotency-Key', () => {
  it('replays the first response, status and body, and writes once', async () => {
    // Prepare
    const { tenantId, key } = await api.register();
    const body = newToken();
    const headers = { 'idempotency-key': 'create-1' };

    // Act
    const first = await api.call('POST', '/v1/tokens', { key, body, headers });

    // Assess
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotency-replayed')).toBeNull();

    // Act: the same request again.
    const again = await api.call('POST', '/v1/tokens', { key, body, headers });

    // Assess
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(again.headers.get('idempotency-replayed')).toBe('true');
    // Each response names its own request.
    expect(again.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
    expect(await tokensOf(tenantId)).toHaveLength(1);
  });

  it('keeps a new API key sealed in the record, and replays it', async () => {
    // Prepare
    const { tenantId, key } = await api.register();
    const headers = { 'idempotency-key': 'key-1' };
    const body = { name: 'ci', scopes: ['tokens:read'] };

    // Act
    const first = await api.call('POST', '/v1/api-keys', { key, body, headers });

    // Assess
    expect(first.status).toBe(201);
    const secret: string = first.body.api_key;

    // Act: the same request again.
    const again = await api.call('POST', '/v1/api-keys', { key, body, headers });

    // Assess
    expect(again.status).toBe(201);
    expect(again.body.api_key).toBe(secret);
    const records = await recordsOf(tenantId);
    expect(records).toHaveLength(1);
    expect(records[0]?.status).toBe('completed');
    expect(JSON.stringify(records)).not.toContain(secret);
    expect(JSON.stringify(records)).not.toContain('key-1');
    const list = await api.call('GET', '/v1/api-keys', { key });
    expect(list.body.data).toHaveLength(2);
  });

  it('answers 422 to the same key with another body, and 400 to a key over 255 characters', async () => {
    // Prepare
    const { tenantId, key } = await api.register();
    const headers = { 'idempotency-key': 'reused' };

    // Assess: the first use of the key writes.
    expect((await api.call('POST', '/v1/tokens', { key, body: newToken(), headers })).status).toBe(201);

    // Act: the same key with another body, then keys over and at the limit.
    const other = await api.call('POST', '/v1/tokens', { key, body: newToken(), headers });

    // Assess
    expect(other.status).toBe(422);
    expect(other.body.errors[0].path).toBe('header.idempotency-key');
    expect(other.body.request_id).toBe(other.headers.get('x-request-id'));

    // Act
    const long = await api.call('POST', '/v1/tokens', {
      key,
      body: newToken(),
      headers: { 'idempotency-key': 'k'.repeat(256) },
    });

    // Assess
    expect(long.status).toBe(400);

    // Act
    const max = await api.call('POST', '/v1/tokens', {
      key,
      body: newToken(),
      headers: { 'idempotency-key': 'k'.repeat(255) },
    });

    // Assess
    expect(max.status).toBe(201);
    expect(await tokensOf(tenantId)).toHaveLength(2);
  });

  it('answers 409 while the first request is in flight, and after a crash never writes twice', async () => {
    // Prepare
    const { tenantId, key } = await api.register();
    const { claimIdempotencyKey } = await import('../../lib/store/idempotency.js');
    const { fingerprint, hashKey } = await import('../../lib/http/idempotency.js');
    const body = newToken();
    const raw = JSON.stringify(body);

    // Prepare: a claim as the middleware makes it, for a request that is still running...
    await claimIdempotencyKey(tenantId, hashKey('busy'), fingerprint('POST', '/v1/tokens', raw), 86_400);

    // Act
    const busy = await api.call('POST', '/v1/tokens', {
      key,
      raw,
      headers: { 'idempotency-key': 'busy', 'content-type': 'application/json' },
    });

    // Assess
    expect(busy.status).toBe(409);
    expect(busy.body.detail).toMatch(/in progress/);
    expect(busy.headers.get('retry-after')).toBe('1');

    // Prepare: ...and one for a request that died between its write and completing the record.
    await claimIdempotencyKey(
      tenantId,
      hashKey('crashed'),
      fingerprint('POST', '/v1/tokens', raw),
      86_400,
      Date.now() - 120_000,
    );

    // Act
    const crashed = await api.call('POST', '/v1/tokens', {
      key,
      raw,
      headers: { 'idempotency-key': 'crashed', 'content-type': 'application/json' },
    });

    // Assess
    expect(crashed.status).toBe(409);
    expect(crashed.body.detail).toMatch(/outcome is unknown/);
    expect(crashed.headers.get('retry-after')).toBeNull();
    expect(await tokensOf(tenantId)).toHaveLength(0);
  });

  it('keys are per tenant', async () => {
    // Prepare
    const a = await api.register();
    const b = await api.register();
    const headers = { 'idempotency-key': 'shared' };
    const body = newToken();
    expect((await api.call('POST', '/v1/tokens', { key: a.key, body, headers })).status).toBe(201);

    // Act
    const other = await api.call('POST', '/v1/tokens', { key: b.key, body, headers });

    // Assess
    expect(other.status).toBe(201);
    expect(other.headers.get('idempotency-replayed')).toBeNull();
    expect(other.body.id).not.toBe((await tokensOf(a.tenantId))[0]?.id);
  });

  it('replays a 4xx like a success: a retry gets the same answer even if the world changed', async () => {
    // Prepare: a token holds (github, taken), so creating it again is a 409
    const { key } = await api.register();
    const body = { ...newToken(), provider: 'github', key: 'taken' };
    const first = await api.call('POST', '/v1/tokens', { key, body });
    expect(first.status).toBe(201);
    const headers = { 'idempotency-key': 'conflict-1' };

    // Act: the conflicting create, then the holder goes away, then the same request is retried
    const conflict = await api.call('POST', '/v1/tokens', { key, body, headers });
    expect((await api.call('DELETE', `/v1/tokens/${first.body.id}`, { key })).status).toBe(204);
    const retried = await api.call('POST', '/v1/tokens', { key, body, headers });

    // Assess: the retry gets the first answer, and wrote nothing
    expect(conflict.status).toBe(409);
    expect(retried.status).toBe(409);
    expect(retried.headers.get('idempotency-replayed')).toBe('true');
    expect(retried.body.detail).toBe(conflict.body.detail);
    expect((await api.call('GET', '/v1/tokens?provider=github', { key })).body.data).toHaveLength(0);
  });

  it('releases the key after a 5xx: a retry runs again and writes once', async () => {
    // Prepare: the first attempt's write fails inside the vault
    const { tenantId, key } = await api.register();
    const { ddb } = await import('../../lib/aws.js');
    const send = ddb.send.bind(ddb);
    const spy = vi.spyOn(ddb, 'send').mockImplementation(((command: { constructor: { name: string } }) => {
      if (command.constructor.name === 'TransactWriteCommand') {
        spy.mockRestore();
        return Promise.reject(Object.assign(new Error('injected'), { name: 'InternalServerError' }));
      }
      return send(command as never);
    }) as never);
    const body = newToken();
    const headers = { 'idempotency-key': 'after-500' };

    // Act
    const failed = await api.call('POST', '/v1/tokens', { key, body, headers });
    const retried = await api.call('POST', '/v1/tokens', { key, body, headers });

    // Assess
    expect(failed.status).toBe(500);
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotency-replayed')).toBeNull();
    expect((await tenantItems(tenantId)).filter((i) => i.type === 'token')).toHaveLength(1);
  });

  it('checks expiry itself: a record past 24 hours no longer replays', async () => {
    // Prepare
    const { tenantId, key } = await api.register();
    const { hashKey, fingerprint } = await import('../../lib/http/idempotency.js');
    const { keys } = await import('../../lib/store/keys.js');
    const { ddb, tableName } = await import('../../lib/aws.js');
    const body = newToken();
    const raw = JSON.stringify(body);
    await ddb.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...keys.idempotency(tenantId, hashKey('old')),
          status: 'in_progress',
          fingerprint: fingerprint('POST', '/v1/tokens', raw),
          created_at: new Date(Date.now() - 25 * 3600_000).toISOString(),
          expires_at: Math.floor(Date.now() / 1000) - 3600,
        },
      }),
    );

    // Act
    const res = await api.call('POST', '/v1/tokens', {
      key,
      raw,
      headers: { 'idempotency-key': 'old', 'content-type': 'application/json' },
    });

    // Assess
    expect(res.status).toBe(201);
    expect(await tokensOf(tenantId)).toHaveLength(1);
  });

  it('is described on every operation that takes it', async () => {
    // Prepare
    const { routeList } = await import('../../functions/routes.js');

    // Act
    const doc = (await api.call('GET', '/openapi.json')).body;

    // Assess: every operation, in turn.
    let described = 0;
    for (const r of routeList) {
      // ANY is one operation per method; `{path+}` is `{path}` (both in lib/http/openapi.ts).
      const op = doc.paths[r.path.replace('+}', '}')][r.method === 'ANY' ? 'post' : r.method.toLowerCase()];
      const header = (op.parameters ?? []).find((p: { name: string }) => p.name === 'Idempotency-Key');
      const takes = r.scope !== null && r.method !== 'GET';
      expect(Boolean(header), `${r.method} ${r.path}`).toBe(takes);
      if (takes) {
        described++;
        expect(header.schema.maxLength).toBe(255);
        expect(op.responses['409']).toBeDefined();
        // Its record is sealed with the tenant's data key.
        expect(r.access.table).toBe('write');
        expect(r.access.kms).toContain('decrypt');
      }
    }
    expect(described).toBeGreaterThan(10);
    expect(
      doc.paths['/v1/auth/register'].post.parameters?.some(
        (p: { name: string }) => p.name === 'Idempotency-Key',
      ),
    ).toBeFalsy();
  });
});

describe('X-Request-Id', () => {
  // Act
  it('is on every response, and problem bodies carry it as request_id', async () => {
    const health = await api.call('GET', '/health');

    // Assess
    expect(health.headers.get('x-request-id')).toMatch(/.+/);

    // Act
    const unauth = await api.call('GET', '/v1/tokens');

    // Assess
    expect(unauth.status).toBe(401);
    expect(unauth.body.request_id).toBe(unauth.headers.get('x-request-id'));

    // Prepare
    const { key } = await api.register();

    // Act
    const missing = await api.call('GET', '/v1/tokens/tok_nope', { key });

    // Assess
    expect(missing.status).toBe(404);
    expect(missing.body.request_id).toBe(missing.headers.get('x-request-id'));

    // Act
    const noRoute = await api.call('GET', '/v1/nowhere');

    // Assess
    expect(noRoute.status).toBe(404);
    expect(noRoute.body.request_id).toBe(noRoute.headers.get('x-request-id'));
  });
});
