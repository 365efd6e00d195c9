import bcrypt from 'bcryptjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Api, startApi, tenantItems } from '../helpers/api.js';
import { type DdbCall, recordDdbCalls } from '../helpers/ddb-calls.js';

// GET /v1/tokens/{id} on a cold process (API key not yet verified, data key not yet unwrapped): the
// token's and the key ring's reads run while bcrypt checks the key, and nothing comes of them unless
// the key verifies.

let api: Api;
let calls: DdbCall[];

beforeAll(async () => {
  api = await startApi();
  calls = await recordDdbCalls();
});

afterAll(() => api.close());

afterEach(() => {
  vi.restoreAllMocks();
});

/** Forgets the verified keys and the unwrapped data keys: the next request is a cold one. */
async function coldProcess() {
  (await import('../../lib/auth/api-keys.js')).clearAuthCache();
  (await import('../../lib/keyring/index.js')).dataKeys.clear();
}

/** For each bcrypt compare from now: the DynamoDB calls made from now until the compare ended. */
function callsDuringBcrypt(): { during: DdbCall[][]; compares: () => number } {
  const during: DdbCall[][] = [];
  const from = calls.length;
  const compare = bcrypt.compare;
  const spy = vi.spyOn(bcrypt, 'compare').mockImplementation(async (...args: Parameters<typeof compare>) => {
    const out = await compare(...args);
    during.push(calls.slice(from));
    return out;
  });
  return { during, compares: () => spy.mock.calls.length };
}

async function setup() {
  const { tenantId, key } = await api.register('Cold');
  const res = await api.call('POST', '/v1/tokens', {
    key,
    body: {
      provider: 'google',
      key: 'u-cold',
      access_token: 'ya29.COLD-ACCESS',
      refresh_token: '1//COLD-R',
      expires_in: 3600,
    },
  });
  expect(res.status).toBe(201);
  return { tenantId, key, tokenId: res.body.id as string };
}

const auditCount = async (tenantId: string) =>
  (await tenantItems(tenantId)).length === 0 ? 0 : (await auditItems(tenantId)).length;

async function auditItems(tenantId: string) {
  const { ddb, tableName } = await import('../../lib/aws.js');
  const { QueryCommand } = await import('@aws-sdk/lib-dynamodb');
  const month = new Date().toISOString().slice(0, 7);
  const out = await ddb.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}#AUDIT#${month}` },
    }),
  );
  return (out.Items ?? []).filter((i) => i.action === 'token.read');
}

describe('cold GET /v1/tokens/{id}', () => {
  it('reads the token and the key ring while bcrypt verifies the key, and answers the token', async () => {
    // Prepare
    const { key, tokenId } = await setup();
    await coldProcess();
    const bc = callsDuringBcrypt();

    // Act
    const res = await api.call('GET', `/v1/tokens/${tokenId}`, { key });

    // Assess
    expect(res.status).toBe(200);
    expect(res.body.access_token).toBe('ya29.COLD-ACCESS');
    expect(bc.compares()).toBe(1);
    // Before the key was verified: the key's own GetItem, then the token's and the ring's.
    const during = bc.during[0] ?? [];
    expect(during[0]).toEqual({ command: 'GetItemCommand', sk: 'APIKEY' });
    expect(during).toContainEqual({ command: 'GetItemCommand', sk: `TOKEN#${tokenId}` });
    expect(during).toContainEqual({ command: 'GetItemCommand', sk: 'TENANT' });
  });

  it('a wrong secret for a real key id: the generic 401, no secret, no audit event', async () => {
    // Prepare
    const { tenantId, key, tokenId } = await setup();
    await coldProcess();
    const bc = callsDuringBcrypt();
    const wrong = `${key.slice(0, -4)}${key.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;

    // Act
    const res = await api.call('GET', `/v1/tokens/${tokenId}`, { key: wrong });
    const audited = await auditItems(tenantId);

    // Assess
    expect(res.status).toBe(401);
    expect(res.text).not.toContain('COLD-');
    expect(bc.compares()).toBe(1);
    expect(audited).toEqual([]);

    // Act: the right key, right after, gets the token (nothing of the refused request is reused).
    const ok = await api.call('GET', `/v1/tokens/${tokenId}`, { key });
    const auditedAfter = await auditItems(tenantId);

    // Assess
    expect(ok.status).toBe(200);
    expect(auditedAfter).toHaveLength(1);
  });

  it('a missing id on a cold process is the usual 404, and an unknown key id still costs no bcrypt', async () => {
    // Prepare
    const { key, tenantId } = await setup();
    await coldProcess();
    const bc = callsDuringBcrypt();

    // Act
    const missing = await api.call('GET', '/v1/tokens/tok_doesnotexist000000000', { key });

    // Assess
    expect(missing.status).toBe(404);
    expect(missing.body.title).toBeDefined();
    expect(bc.compares()).toBe(1);

    // Act: an unknown key id, on a cold process again.
    const unknown = `vk_live_${'0'.repeat(16)}_${'A'.repeat(43)}`;
    await coldProcess();
    const res = await api.call('GET', '/v1/tokens/tok_doesnotexist000000000', { key: unknown });
    const audits = await auditCount(tenantId);

    // Assess
    expect(res.status).toBe(401);
    expect(bc.compares()).toBe(1);
    expect(audits).toBe(0);
  });
});
