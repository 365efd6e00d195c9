import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from '../helpers/api.js';

// Tenant data-key rotation through the real handlers, over HTTP, against DynamoDB Local.

const ROTATE = '/v1/tenant/data-key/rotate';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

const newToken = () => ({
  provider: 'google',
  key: `user-${Math.random().toString(36).slice(2)}`,
  access_token: `ya29.${Math.random().toString(36).slice(2)}-access`,
  refresh_token: `1//${Math.random().toString(36).slice(2)}-refresh`,
  expires_in: 3600,
});

async function tableItem(PK: string, SK: string) {
  const { ddb, tableName } = await import('../../lib/aws.js');
  return (await ddb.send(new GetCommand({ TableName: tableName, Key: { PK, SK } }))).Item ?? {};
}
const tenantRow = (tenantId: string) => tableItem(`TENANT#${tenantId}`, 'TENANT');
const tokenRow = (tenantId: string, tokenId: string) => tableItem(`TENANT#${tenantId}`, `TOKEN#${tokenId}`);

describe('POST /v1/tenant/data-key/rotate', () => {
  it('makes version 2 current: old ciphertexts still open, new writes seal with version 2', async () => {
    // Prepare
    const { tenantId, key } = await api.register();
    const input = newToken();
    const token = (await api.call('POST', '/v1/tokens', { key, body: input })).body;

    // Assess: sealed with version 1.
    expect((await tokenRow(tenantId, token.id)).access_token_enc).toMatch(/^v1\.1\./);

    // Act
    const before = Date.now();
    const res = await api.call('POST', ROTATE, { key });

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({ data_key_version: 2, rotated_at: expect.any(String) });
    expect(Date.parse(res.body.rotated_at)).toBeGreaterThanOrEqual(before - 1000);
    const tenant = await tenantRow(tenantId);
    expect(tenant.dek_current).toBe(2);
    expect(Object.keys(tenant.deks).sort()).toEqual(['1', '2']);
    expect(tenant.dek_rotated_at).toBe(res.body.rotated_at);

    // Assess: the rotation itself re-encrypts nothing (the background job does, later): untouched, and still opens.
    expect((await tokenRow(tenantId, token.id)).access_token_enc).toMatch(/^v1\.1\./);
    const old = await api.call('GET', `/v1/tokens/${token.id}`, { key });
    expect(old.status).toBe(200);
    expect(old.body).toMatchObject({ access_token: input.access_token, refresh_token: input.refresh_token });

    // Act: a new access token is sealed with version 2; the refresh token, not rewritten, stays on 1.
    const put = await api.call('PUT', `/v1/tokens/${token.id}`, {
      key,
      body: { access_token: 'after-rotation' },
    });

    // Assess
    expect(put.status).toBe(200);
    const row = await tokenRow(tenantId, token.id);
    expect(row.access_token_enc).toMatch(/^v1\.2\.[\w-]{16}\.[\w-]+$/);
    expect(row.refresh_token_enc).toMatch(/^v1\.1\./);
    const got = await api.call('GET', `/v1/tokens/${token.id}`, { key });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ access_token: 'after-rotation', refresh_token: input.refresh_token });

    // Act
    const created = (await api.call('POST', '/v1/tokens', { key, body: newToken() })).body;

    // Assess
    expect((await tokenRow(tenantId, created.id)).access_token_enc).toMatch(/^v1\.2\./);
  });

  it('a process whose cached ring predates the rotation opens version-2 ciphertexts after one reload', async () => {
    // Prepare: a second process, its ring cached before the rotation.
    const { tenantId, key } = await api.register();
    const { DataKeys } = await import('../../lib/crypto/data-keys.js');
    const { keyProvider } = await import('../../lib/crypto/index.js');
    const { loadKeyRing } = await import('../../lib/store/tenants.js');
    let loads = 0;
    const other = new DataKeys(keyProvider, (id) => {
      loads++;
      return loadKeyRing(id);
    });
    const ref = (tokenId: string) => ({ tenantId, record: `token#${tokenId}`, field: 'access_token' });
    const first = (await api.call('POST', '/v1/tokens', { key, body: newToken() })).body;
    const firstRow = await tokenRow(tenantId, first.id);
    await other.decrypt(ref(first.id), firstRow.access_token_enc); // warm on version 1

    // Act
    expect((await api.call('POST', ROTATE, { key })).status).toBe(200);
    const input = newToken();
    const second = (await api.call('POST', '/v1/tokens', { key, body: input })).body;
    const secondRow = await tokenRow(tenantId, second.id);

    // Assess
    expect(secondRow.access_token_enc).toMatch(/^v1\.2\./);

    // Act: that process opens the new ciphertext, then the old one.
    expect(await other.decrypt(ref(second.id), secondRow.access_token_enc)).toBe(input.access_token);
    await other.decrypt(ref(first.id), firstRow.access_token_enc);

    // Assess
    expect(loads).toBe(2);
  });

  it('needs the admin scope: tokens:write and tokens:read keys get 403, no key 401', async () => {
    // Prepare
    const { tenantId, key: admin } = await api.register();

    // Act: each narrower key, then no key; each answer checked in turn.
    for (const scope of ['tokens:write', 'tokens:read']) {
      const made = await api.call('POST', '/v1/api-keys', {
        key: admin,
        body: { name: scope, scopes: [scope] },
      });
      const res = await api.call('POST', ROTATE, { key: made.body.api_key });
      expect(res.status, scope).toBe(403);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
    expect((await api.call('POST', ROTATE)).status).toBe(401);

    // Assess
    expect((await tenantRow(tenantId)).dek_current).toBe(1);
  });

  it('two processes rotating at once: the conditional write lets exactly one win, the other gets a 409', async () => {
    // Prepare: two DataKeys stand in for two warm Lambda processes; both read the stored ring (version 1)
    // before either commits, so the race is certain.
    const { tenantId } = await api.register();
    const { DataKeys } = await import('../../lib/crypto/data-keys.js');
    const { keyProvider } = await import('../../lib/crypto/index.js');
    const { addDataKeyVersion, loadKeyRing } = await import('../../lib/store/tenants.js');
    const { ConflictError } = await import('../../lib/errors.js');
    let read = 0;
    let bothRead: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      bothRead = resolve;
    });
    const load = async (id: string) => {
      const ring = await loadKeyRing(id);
      if (++read === 2) bothRead();
      await gate;
      return ring;
    };
    const [a, b] = [new DataKeys(keyProvider, load), new DataKeys(keyProvider, load)];
    const commit = (next: { from: number; to: number; wrapped: Buffer }) =>
      addDataKeyVersion(tenantId, next, new Date().toISOString());

    // Act
    const results = await Promise.allSettled([a.rotate(tenantId, commit), b.rotate(tenantId, commit)]);

    // Assess
    const won = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    const lost = results.filter((r) => r.status === 'rejected').map((r) => r.reason);
    expect(won).toEqual([2]);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(ConflictError);
    expect((lost[0] as InstanceType<typeof ConflictError>).statusCode).toBe(409);
    const tenant = await tenantRow(tenantId);
    expect(tenant.dek_current).toBe(2);
    expect(Object.keys(tenant.deks).sort()).toEqual(['1', '2']);
  });

  it('concurrent rotations over HTTP: each is 200 or 409, and no version is lost or overwritten', async () => {
    // Prepare
    const { tenantId, key } = await api.register();
    const input = newToken();
    const token = (await api.call('POST', '/v1/tokens', { key, body: input })).body;

    // Act
    const results = await Promise.all([api.call('POST', ROTATE, { key }), api.call('POST', ROTATE, { key })]);

    // Assess: whether two HTTP requests overlap is up to timing: if they do, the second to commit gets a
    // 409 (it may retry); if not, each rotates in turn. Never do two get the same version.
    const won = results.filter((r) => r.status === 200).map((r) => r.body.data_key_version as number);
    const lost = results.filter((r) => r.status === 409);
    expect(won.length + lost.length).toBe(2);
    expect(won.sort()).toEqual(lost.length === 1 ? [2] : [2, 3]);
    for (const r of lost) {
      expect(r.headers.get('content-type')).toBe('application/problem+json');
      expect(r.body).toMatchObject({
        status: 409,
        title: 'Conflict',
        detail: expect.stringMatching(/retry/),
      });
    }
    const current = 1 + won.length;
    const tenant = await tenantRow(tenantId);
    expect(tenant.dek_current).toBe(current);
    expect(Object.keys(tenant.deks).sort()).toEqual(Array.from({ length: current }, (_, i) => String(i + 1)));

    // Act
    const next = await api.call('POST', ROTATE, { key });

    // Assess
    expect(next.body.data_key_version).toBe(current + 1);
    expect((await api.call('GET', `/v1/tokens/${token.id}`, { key })).body.access_token).toBe(
      input.access_token,
    );
  });

  it('refuses a 101st version with 409', async () => {
    // Prepare
    const { tenantId, key } = await api.register();
    const { ddb, tableName } = await import('../../lib/aws.js');
    const { MAX_DEK_VERSIONS } = await import('../../lib/crypto/data-keys.js');
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { PK: `TENANT#${tenantId}`, SK: 'TENANT' },
        UpdateExpression: 'SET dek_current = :max',
        ExpressionAttributeValues: { ':max': MAX_DEK_VERSIONS },
      }),
    );

    // Act
    const res = await api.call('POST', ROTATE, { key });

    // Assess
    expect(res.status).toBe(409);
    expect(res.body.detail).toMatch(/100 versions/);
    const tenant = await tenantRow(tenantId);
    expect(tenant.dek_current).toBe(MAX_DEK_VERSIONS);
    expect(Object.keys(tenant.deks)).toEqual(['1']);
  });

  it('is in the OpenAPI document with its response schema', async () => {
    // Act
    const doc = (await api.call('GET', '/openapi.json')).body;
    const op = doc.paths[ROTATE].post;

    // Assess
    expect(op.operationId).toBe('RotateDataKey');
    expect(op.responses['200'].content['application/json'].schema.$ref).toBe(
      '#/components/schemas/DataKeyRotation',
    );
    // 400 and 422 from its Idempotency-Key (too long; reused with another request).
    expect(Object.keys(op.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '409',
      '422',
      '429',
      '500',
    ]);
  });
});
