import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { localDynamoDbClient } from '../../local/dynamodb-local.js';
import { baseEnv, callServer, freePort, killAll, spawnServer } from '../helpers/process.js';
import { waitFor } from '../helpers/receiver.js';

// `npm start` killed (SIGKILL, no shutdown code) in the middle of a re-encryption: the restarted
// server's in-process job resumes from the saved cursor and finishes, and the old version is retired.

const LISTENING = /Token vault listening on (http:\/\/127\.0\.0\.1:\d+)/;
const tableName = `datakey-restart-${randomUUID()}`;
const home = mkdtempSync(join(tmpdir(), 'datakey-restart-'));
const client = localDynamoDbClient(inject('dynamodbEndpoint'));

afterAll(async () => {
  await killAll();
  rmSync(home, { recursive: true, force: true });
  await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => {});
  client.destroy();
});

const call = callServer;

const env = async () =>
  baseEnv({
    VAULT_HOME: home,
    PORT: String(await freePort()),
    DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'),
    TABLE_NAME: tableName,
    // Slow: 4 values a second (pages of 4 items: 4 tokens take 2 s), so the kill lands mid-pass.
    DATA_KEY_REENCRYPT_PER_SECOND: '4',
    DATA_KEY_JOB_SECONDS: '1',
    DATA_KEY_CACHE_SECONDS: '1',
    DATA_KEY_RETIRE_AFTER_SECONDS: '2',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });

async function sealedVersions(tenantId: string): Promise<number[]> {
  const doc = DynamoDBDocumentClient.from(client);
  const out = await doc.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}` },
    }),
  );
  return (out.Items ?? []).flatMap((item) =>
    Object.entries(item)
      .filter(([k, v]) => k.endsWith('_enc') && typeof v === 'string')
      .map(([, v]) => Number((v as string).split('.')[1])),
  );
}

describe('a crash of npm start in the middle of a re-encryption', () => {
  it('resumes where it stopped after a restart and retires the old version', {
    timeout: 120_000,
  }, async () => {
    // Prepare: a first server, a tenant and 16 tokens.
    const first = spawnServer(await env());
    const [, url1 = ''] = await first.waitForStdout(LISTENING, 60_000);
    const reg = await call(url1, 'POST', '/v1/auth/register', {
      body: { email: `rekey-${process.pid}-${Date.now()}@example.com`, name: 'Rekey' },
    });
    expect(reg.status, reg.text).toBe(201);
    const key: string = reg.body.api_key;
    const tenantId: string = reg.body.tenant.id;
    const tokens: { id: string; access: string; refresh: string }[] = [];
    for (let i = 0; i < 16; i++) {
      const access = `access-${randomUUID()}`;
      const refresh = `refresh-${randomUUID()}`;
      const res = await call(url1, 'POST', '/v1/tokens', {
        key,
        body: { provider: 'google', key: `u-${i}`, access_token: access, refresh_token: refresh },
      });
      expect(res.status, res.text).toBe(201);
      tokens.push({ id: res.body.id, access, refresh });
    }
    const sealedBefore = await sealedVersions(tenantId);

    // Assess: every value starts sealed under version 1.
    expect(sealedBefore).toEqual(Array(32).fill(1));

    // Act
    const rotated = await call(url1, 'POST', '/v1/tenant/data-key/rotate', { key });

    // Assess
    expect(rotated.status).toBe(200);

    // Act: wait until the job is part-way through the tokens, then kill everything at once.
    const mid = await waitFor(
      async () => {
        const r = (await call(url1, 'GET', '/v1/tenant/data-keys', { key })).body.reencryption;
        return r?.pass && r.pass.resealed >= 4 && r.pass.resealed <= 20 ? r.pass : undefined;
      },
      30_000,
      'the re-encryption to be part-way',
    );
    first.signal('SIGKILL', { group: true });
    await first.kill();
    const atKill = await sealedVersions(tenantId);

    // Assess
    expect(atKill.filter((v) => v === 2).length).toBeGreaterThanOrEqual(mid.resealed);
    expect(atKill.filter((v) => v === 1).length).toBeGreaterThan(0);

    // Act: restart.
    const second = spawnServer(await env());
    const [, url2 = ''] = await second.waitForStdout(LISTENING, 60_000);
    const resumed = (await call(url2, 'GET', '/v1/tenant/data-keys', { key })).body.reencryption;

    // Assess: the first pass resumes (same pass, same start) rather than starting over.
    if (resumed?.pass) {
      expect(resumed.pass.started_at).toBe(mid.started_at);
      expect(resumed.pass.resealed).toBeGreaterThanOrEqual(mid.resealed);
    }

    // Act: wait for the old version to be retired, then read every token back.
    const done = await waitFor(
      async () => {
        const b = (await call(url2, 'GET', '/v1/tenant/data-keys', { key })).body;
        return b.data[0]?.state === 'retired' ? b : undefined;
      },
      60_000,
      'the old version to be retired',
    );
    const sealedAfter = await sealedVersions(tenantId);
    const reads = [];
    for (const t of tokens) {
      reads.push({ t, got: await call(url2, 'GET', `/v1/tokens/${t.id}`, { key }) });
    }

    // Assess
    expect(done.data).toEqual([
      expect.objectContaining({ version: 1, state: 'retired', values: 0 }),
      expect.objectContaining({ version: 2, state: 'active', values: 32 }),
    ]);
    expect(done.reencryption).toBeNull();
    expect(sealedAfter).toEqual(Array(32).fill(2));
    for (const { t, got } of reads) {
      expect(got.status, got.text).toBe(200);
      expect(got.body).toMatchObject({ access_token: t.access, refresh_token: t.refresh });
    }
    await second.kill();
  });
});
