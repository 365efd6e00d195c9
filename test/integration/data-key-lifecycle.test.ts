import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Api, startApi, tenantItems } from '../helpers/api.js';

// Data keys carried to the end, through the real handlers over HTTP against DynamoDB Local:
// rotate, re-encrypt every sealed value in the background, retire the old version. The job is run
// by calling it (as its scheduled handler does), so each step can be looked at.

vi.hoisted(() => {
  // Its own table: other test files' in-process jobs work on the shared one. A 1 s cache period
  // and a 2 s retirement wait, so the lifecycle fits in a test.
  process.env.TABLE_NAME = `datakeys-${Math.random().toString(36).slice(2)}`;
  process.env.DATA_KEY_CACHE_SECONDS = '1';
  process.env.DATA_KEY_RETIRE_AFTER_SECONDS = '2';
  process.env.DATA_KEY_REENCRYPT_PER_SECOND = '1000';
});

const ROTATE = '/v1/tenant/data-key/rotate';
const LIST = '/v1/tenant/data-keys';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

const runJob = async (tenantId: string) => {
  const { reencryptTenant } = await import('../../lib/keyring/reencrypt.js');
  return reencryptTenant(tenantId, Date.now() + 20_000);
};

const newToken = () => ({
  provider: 'google',
  key: `user-${randomUUID()}`,
  access_token: `ya29.${randomUUID()}`,
  refresh_token: `1//${randomUUID()}`,
  expires_in: 3600,
});

/** Every sealed attribute in the tenant's partition, with its version. */
async function sealedValues(tenantId: string) {
  const out: { sk: string; attribute: string; version: number; value: string }[] = [];
  for (const item of await tenantItems(tenantId)) {
    for (const [attribute, value] of Object.entries(item)) {
      if (attribute.endsWith('_enc') && typeof value === 'string') {
        out.push({ sk: item.SK as string, attribute, version: Number(value.split('.')[1]), value });
      }
    }
  }
  return out;
}

/** A tenant holding one of every kind of sealed value in its partition, all under version 1. */
async function seededTenant() {
  const t = await api.register();
  const tokens = [];
  for (let i = 0; i < 3; i++) {
    const input = newToken();
    const res = await api.call('POST', '/v1/tokens', { key: t.key, body: input });
    expect(res.status, res.text).toBe(201);
    tokens.push({ id: res.body.id as string, input });
  }
  const app = await api.call('POST', '/v1/oauth-apps', {
    key: t.key,
    body: {
      provider: 'github',
      client_id: 'cid',
      client_secret: 'app-secret-value',
      redirect_urls: ['https://app.example.com/back'],
    },
  });
  expect(app.status, app.text).toBe(201);
  const hook = await api.call('POST', '/v1/webhooks', {
    key: t.key,
    body: { url: 'http://localhost:9/hook', events: ['token.created'] },
  });
  expect(hook.status, hook.text).toBe(201);
  // A rotated webhook secret: the previous one is sealed too, for its grace period.
  const rotated = await api.call('POST', `/v1/webhooks/${hook.body.id}/rotate-secret`, { key: t.key });
  expect(rotated.status, rotated.text).toBe(200);
  // An idempotency record (its sealed first response).
  const idemBody = newToken();
  const idemKey = randomUUID();
  const first = await api.call('POST', '/v1/tokens', {
    key: t.key,
    body: idemBody,
    headers: { 'idempotency-key': idemKey },
  });
  expect(first.status, first.text).toBe(201);
  // A pending connection (the connect flow's parked tokens), sealed as the connect service seals it.
  const code = randomBytes(32).toString('base64url');
  const { createHash } = await import('node:crypto');
  const codeHash = createHash('sha256').update(code).digest('base64url');
  const { dataKeys } = await import('../../lib/keyring/index.js');
  const { putPendingConnection } = await import('../../lib/store/connect-sessions.js');
  const ref = (field: string) => ({ tenantId: t.tenantId, record: `connection#${codeHash}`, field });
  await putPendingConnection({
    code_hash: codeHash,
    tenant_id: t.tenantId,
    provider: 'github',
    key: 'pending-user',
    access_token_enc: await dataKeys.encrypt(ref('access_token'), 'pending-access'),
    refresh_token_enc: await dataKeys.encrypt(ref('refresh_token'), 'pending-refresh'),
    token_expires_at: null,
    token_type: 'bearer',
    scopes: [],
    url_params: {},
    expires_at: new Date(Date.now() + 600_000).toISOString(),
  });
  return {
    ...t,
    tokens,
    webhookId: hook.body.id as string,
    webhookSecret: rotated.body.secret as string,
    idem: { key: idemKey, body: idemBody, response: first.body },
    code,
  };
}

describe('GET /v1/tenant/data-keys and the re-encryption job', () => {
  it('rotate, re-encrypt every kind of sealed value, retire: states and counts at each step', async () => {
    // Prepare
    const t = await seededTenant();

    // Act: the starting point.
    const v1Values = await sealedValues(t.tenantId);
    const before = await api.call('GET', LIST, { key: t.key });

    // Assess: 3 tokens x 2, the idempotent token x 2, the app secret, webhook secret and previous
    // secret, the idempotency record, the pending connection x 2.
    expect(v1Values.length).toBe(14);
    expect(v1Values.every((v) => v.version === 1)).toBe(true);
    expect(before.status, before.text).toBe(200);
    expect(before.body).toEqual({
      data: [{ version: 1, state: 'active', created_at: expect.any(String), values: null, counted_at: null }],
      reencryption: null,
    });

    // Act: rotate.
    const rotation = await api.call('POST', ROTATE, { key: t.key });
    const rotated = await api.call('GET', LIST, { key: t.key });

    // Assess
    expect(rotation.status).toBe(200);
    expect(rotated.body.data.map((d: { state: string }) => d.state)).toEqual(['retiring', 'active']);
    expect(rotated.body.data[1].created_at).toBe(rotation.body.rotated_at);
    expect(rotated.body.reencryption).toMatchObject({
      status: 'waiting',
      rotated_at: rotation.body.rotated_at,
      pass: null,
    });

    // Act: first pass: everything moves to version 2, but it began within the cache period after
    // the rotation (another process could still have sealed with version 1), so nothing is retired.
    const first = await runJob(t.tenantId);
    const afterFirst = await sealedValues(t.tenantId);
    const counted = await api.call('GET', LIST, { key: t.key });

    // Assess
    expect(first).toMatchObject({ resealed: v1Values.length, skipped: 0, failed: 0, retired: 0 });
    expect(afterFirst.every((v) => v.version === 2)).toBe(true);
    expect(counted.body.data).toEqual([
      expect.objectContaining({ version: 1, state: 'retiring', values: 0 }),
      expect.objectContaining({ version: 2, state: 'active', values: v1Values.length }),
    ]);
    expect(counted.body.reencryption.status).toBe('waiting');

    // Act: version 1 still opens meanwhile (a ciphertext kept from before).
    const { dataKeys } = await import('../../lib/keyring/index.js');
    const oldToken = v1Values.find((v) => v.attribute === 'access_token_enc' && v.sk.startsWith('TOKEN#'));
    if (!oldToken) throw new Error('no token');
    const oldRef = { tenantId: t.tenantId, record: `token#${oldToken.sk.slice(6)}`, field: 'access_token' };
    const opened = await dataKeys.decrypt(oldRef, oldToken.value);

    // Assess
    expect(opened).toMatch(/^ya29\./);

    // Act: after the cache period, a clean pass; after the retirement wait, the version is retired.
    await sleep(2_100);
    let stats = await runJob(t.tenantId);
    for (let i = 0; stats.retired === 0 && i < 5; i++) {
      await sleep(500);
      stats = await runJob(t.tenantId);
    }
    const retired = await api.call('GET', LIST, { key: t.key });

    // Assess
    expect(stats.retired).toBe(1);
    expect(retired.body).toEqual({
      data: [
        expect.objectContaining({ version: 1, state: 'retired', values: 0 }),
        expect.objectContaining({ version: 2, state: 'active', values: v1Values.length }),
      ],
      reencryption: null,
    });

    // Assess: each step is audited: the rotation by the admin key, the retirement by the job.
    const trail = (await api.call('GET', '/v1/audit-events?limit=100', { key: t.key })).body.data as {
      action: string;
      actor: Record<string, unknown>;
      target: Record<string, unknown>;
      request_id: string | null;
    }[];
    expect(trail.filter((e) => e.action === 'data_key.rotate')).toEqual([
      expect.objectContaining({
        actor: expect.objectContaining({ type: 'api_key' }),
        target: { type: 'data_key', id: '2' },
        request_id: rotation.headers.get('x-request-id'),
      }),
    ]);
    expect(trail.filter((e) => e.action === 'data_key.retire')).toEqual([
      expect.objectContaining({
        actor: { type: 'system', name: 'DataKeyReencryption' },
        target: { type: 'data_key', id: '1' },
        outcome: 'success',
      }),
    ]);

    // Assess: the table: no value under version 1, no wrapped key for it.
    const after = await sealedValues(t.tenantId);
    expect(after.length).toBe(v1Values.length);
    expect(after.filter((v) => v.version !== 2)).toEqual([]);
    const tenant = (await tenantItems(t.tenantId)).find((i) => i.SK === 'TENANT');
    expect(Object.keys(tenant?.deks as object)).toEqual(['2']);

    // Act: nothing opens with version 1 again: not this process...
    const reopened = dataKeys.decrypt(oldRef, oldToken.value);

    // Assess
    await expect(reopened).rejects.toThrow(/version 1 is retired/);

    // Act: ...not a fresh one.
    const { DataKeys } = await import('../../lib/crypto/data-keys.js');
    const { keyProvider } = await import('../../lib/crypto/index.js');
    const { loadKeyRing } = await import('../../lib/store/tenants.js');
    const fresh = new DataKeys(keyProvider, loadKeyRing);
    const freshOpened = fresh.decrypt(oldRef, oldToken.value);

    // Assess
    await expect(freshOpened).rejects.toThrow(/version 1 is retired/);

    // Act: every value reads back through the product, under version 2.
    const reads = [];
    for (const tok of t.tokens) {
      reads.push({ tok, got: await api.call('GET', `/v1/tokens/${tok.id}`, { key: t.key }) });
    }
    const replay = await api.call('POST', '/v1/tokens', {
      key: t.key,
      body: t.idem.body,
      headers: { 'idempotency-key': t.idem.key },
    });
    const { getWebhook } = await import('../../lib/store/webhooks.js');
    const { openSecret, signingSecrets } = await import('../../lib/webhooks/secrets.js');
    const hook = await getWebhook(t.tenantId, t.webhookId, true);
    if (!hook) throw new Error('no webhook');
    const hookSecret = await openSecret(hook);
    const signing = await signingSecrets(hook, Date.now());
    const { getOAuthApp } = await import('../../lib/store/oauth-apps.js');
    const { appSealRef } = await import('../../lib/providers/oauth.js');
    const app = await getOAuthApp(t.tenantId, 'github');
    if (!app) throw new Error('no app');
    const appSecret = await dataKeys.decrypt(appSealRef(app), app.client_secret_enc);
    const exchanged = await api.call('POST', '/v1/connect/exchange', {
      key: t.key,
      body: { connect_code: t.code },
    });
    const connected = await api.call('GET', `/v1/tokens/${exchanged.body.id}`, { key: t.key });

    // Assess
    for (const { tok, got } of reads) {
      expect(got.status, got.text).toBe(200);
      expect(got.body).toMatchObject({
        access_token: tok.input.access_token,
        refresh_token: tok.input.refresh_token,
      });
    }
    expect(replay.status, replay.text).toBe(201);
    expect(replay.headers.get('idempotency-replayed')).toBe('true');
    expect(replay.body).toEqual(t.idem.response);
    expect(hookSecret).toBe(t.webhookSecret);
    expect(signing.length).toBe(2);
    expect(appSecret).toBe('app-secret-value');
    expect(exchanged.status, exchanged.text).toBe(200);
    expect(connected.body).toMatchObject({
      access_token: 'pending-access',
      refresh_token: 'pending-refresh',
    });
  });

  it('rotation while reads and writes go on: no error, nothing lost, every value readable throughout', async () => {
    // Prepare
    const t = await api.register();
    const tokens: { id: string; access: string }[] = [];
    for (let i = 0; i < 8; i++) {
      const input = newToken();
      const res = await api.call('POST', '/v1/tokens', { key: t.key, body: input });
      tokens.push({ id: res.body.id, access: input.access_token });
    }
    let stop = false;
    const failures: string[] = [];
    const worker = async (n: number) => {
      for (let round = 0; !stop; round++) {
        const tok = tokens[(n + round) % tokens.length];
        if (!tok) continue;
        if (round % 3 === 0) {
          const access = `written-${n}-${round}-${randomUUID()}`;
          const put = await api.call('PUT', `/v1/tokens/${tok.id}`, {
            key: t.key,
            body: { access_token: access },
          });
          if (put.status !== 200) failures.push(`PUT ${put.status} ${put.text}`);
          else tok.access = access;
        } else {
          const expected = tok.access;
          const got = await api.call('GET', `/v1/tokens/${tok.id}`, { key: t.key });
          if (got.status !== 200) failures.push(`GET ${got.status} ${got.text}`);
          // A write by another worker may land in between; a value we never wrote may not.
          else if (got.body.access_token !== expected && !got.body.access_token.startsWith('written-'))
            failures.push(`GET read ${got.body.access_token}`);
        }
      }
    };

    // Act: one worker per token slot pair, so writes to one token come from one worker at a time;
    // a rotation while they run.
    const workers = [0, 2, 4, 6].map((n) => worker(n));
    await sleep(200);
    const rotation = await api.call('POST', ROTATE, { key: t.key });

    // Assess
    expect(rotation.status).toBe(200);

    // Act: the job runs until the old version is retired; then the workers stop, and every token is
    // read back.
    let retired = 0;
    const started = Date.now();
    while (retired === 0 && Date.now() - started < 15_000) {
      retired += (await runJob(t.tenantId)).retired;
      await sleep(300);
    }
    stop = true;
    await Promise.all(workers);
    const reads = [];
    for (const tok of tokens) {
      reads.push({ tok, got: await api.call('GET', `/v1/tokens/${tok.id}`, { key: t.key }) });
    }
    const sealed = await sealedValues(t.tenantId);

    // Assess
    expect(failures).toEqual([]);
    expect(retired).toBe(1);
    for (const { tok, got } of reads) {
      expect(got.status).toBe(200);
      expect(got.body.access_token).toBe(tok.access);
    }
    expect(sealed.filter((v) => v.version !== 2)).toEqual([]);
  });

  it('a value changed between the read and the reseal keeps the newer value; a writer that read before the reseal re-reads', async () => {
    // Prepare
    const t = await api.register();
    const input = newToken();
    const created = await api.call('POST', '/v1/tokens', { key: t.key, body: input });
    const rotation = await api.call('POST', ROTATE, { key: t.key });
    expect(rotation.status).toBe(200);

    // Act: the job's read...
    const { tenantItemsPage, resealAttribute } = await import('../../lib/store/reencryption.js');
    const page = await tenantItemsPage(t.tenantId, null, 100);
    const item = page.items.find((i) => i.SK === `TOKEN#${created.body.id}`);
    if (!item) throw new Error('no token item');
    const stale = item.access_token_enc as string;
    const { dataKeys } = await import('../../lib/keyring/index.js');
    const ref = { tenantId: t.tenantId, record: `token#${created.body.id}`, field: 'access_token' };
    const resealed = await dataKeys.reseal(ref, stale);
    if (!resealed) throw new Error('not resealed');
    // ...a write meanwhile...
    const put = await api.call('PUT', `/v1/tokens/${created.body.id}`, {
      key: t.key,
      body: { access_token: 'newer-value' },
    });
    // ...and the job's conditional write loses: the newer value stands.
    const written = await resealAttribute({ ...item }, 'access_token_enc', stale, resealed);
    const got = await api.call('GET', `/v1/tokens/${created.body.id}`, { key: t.key });

    // Assess
    expect(put.status).toBe(200);
    expect(written).toBe(false);
    expect(got.body.access_token).toBe('newer-value');

    // Act: the other way round: a writer that read the token before a reseal cannot write the old
    // ciphertext back (the reseal bumped the version); it gets a conflict and re-reads.
    const { mustGetToken, replaceToken } = await import('../../lib/store/tokens.js');
    const before = await mustGetToken(t.tenantId, created.body.id, true);
    await runJob(t.tenantId);
    const after = await mustGetToken(t.tenantId, created.body.id, true);

    // Assess
    expect(after.refresh_token_enc).toMatch(/^v1\.2\./);
    expect(after.version).toBeGreaterThan(before.version);

    // Act
    const overwrite = replaceToken({ ...before, version: before.version + 1 }, before.version, []);

    // Assess
    await expect(overwrite).rejects.toThrow();
    const kept = await mustGetToken(t.tenantId, created.body.id, true);
    expect(kept.refresh_token_enc).toBe(after.refresh_token_enc);
  });

  it('a value that does not open holds its version back from retirement, and is never rewritten', async () => {
    // Prepare
    const t = await api.register();
    const a = await api.call('POST', '/v1/tokens', { key: t.key, body: newToken() });
    const b = await api.call('POST', '/v1/tokens', { key: t.key, body: newToken() });
    // A ciphertext moved to another row: bound to its own record, it fails to open there.
    const { ddb, tableName } = await import('../../lib/aws.js');
    const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    const moved = (await sealedValues(t.tenantId)).find(
      (v) => v.sk === `TOKEN#${a.body.id}` && v.attribute === 'access_token_enc',
    );
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { PK: `TENANT#${t.tenantId}`, SK: `TOKEN#${b.body.id}` },
        UpdateExpression: 'SET access_token_enc = :v',
        ExpressionAttributeValues: { ':v': moved?.value },
      }),
    );
    const rotation = await api.call('POST', ROTATE, { key: t.key });
    expect(rotation.status).toBe(200);

    // Act
    await runJob(t.tenantId);
    await sleep(2_100);
    const stats = await runJob(t.tenantId);
    const list = await api.call('GET', LIST, { key: t.key });
    const still = (await sealedValues(t.tenantId)).find(
      (v) => v.sk === `TOKEN#${b.body.id}` && v.attribute === 'access_token_enc',
    );

    // Assess
    expect(stats).toMatchObject({ failed: 1, retired: 0 });
    expect(list.body.data.map((d: { state: string }) => d.state)).toEqual(['retiring', 'active']);
    expect(list.body.data[0].values).toBe(1);
    expect(list.body.reencryption.status).toBe('waiting');
    expect(still?.value).toBe(moved?.value);
  });

  it('needs the admin scope', async () => {
    // Prepare
    const t = await api.register();
    const made = await api.call('POST', '/v1/api-keys', {
      key: t.key,
      body: { name: 'reader', scopes: ['tokens:read'] },
    });

    // Act
    const reader = await api.call('GET', LIST, { key: made.body.api_key });
    const anonymous = await api.call('GET', LIST);

    // Assess
    expect(reader.status).toBe(403);
    expect(anonymous.status).toBe(401);
  });
});
