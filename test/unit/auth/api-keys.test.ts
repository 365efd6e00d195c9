import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import bcrypt from 'bcryptjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemContext } from '../../../lib/audit/service.js';
import {
  type AuthContext,
  authenticate,
  authStats,
  clearAuthCache,
  createApiKey,
  makeApiKey,
  type NewApiKey,
  requireScope,
  revokeApiKey,
} from '../../../lib/auth/api-keys.js';
import { ConflictError, ForbiddenError, UnauthorizedError } from '../../../lib/errors.js';
import { type ApiKeyRecord, apiKeyItem } from '../../../lib/store/api-keys.js';

const ctx = systemContext('Test');

const ddb = mockClient(DynamoDBDocumentClient);
const GENERIC_401 = 'A valid API key is required.';
const T0 = new Date('2030-01-01T12:00:00.000Z').getTime();

let made: NewApiKey;
let secret: string;
/** The record GetCommand returns for `made.record.id`; tests adjust it. */
let stored: ApiKeyRecord;

/** Serves `stored` for its key id; any other id is not in the table. */
function serveStored(): void {
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: { PK: `APIKEY#${made.record.id}`, SK: 'APIKEY' } }).callsFake(() => ({
    Item: apiKeyItem(stored),
  }));
  ddb.on(UpdateCommand).resolves({});
  ddb.on(PutCommand).resolves({});
  ddb.on(TransactWriteCommand).resolves({});
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  made = await makeApiKey('ten_a', 'default', ['tokens:read'], new Date(T0 - 86_400_000).toISOString());
  secret = made.apiKey.split('_').slice(3).join('_');
});

beforeEach(() => {
  clearAuthCache();
  stored = { ...made.record };
  serveStored();
});

afterEach(() => {
  ddb.reset();
  vi.useRealTimers();
});

describe('makeApiKey / createApiKey', () => {
  it('returns vk_live_<16-char id>_<43-char secret> and a record with its prefix', () => {
    // Assess
    expect(made.apiKey).toMatch(/^vk_live_[0-9a-z]{16}_[A-Za-z0-9_-]{43}$/);
    expect(made.apiKey).toBe(`vk_live_${made.record.id}_${secret}`);
    expect(made.record.prefix).toBe(`vk_live_${made.record.id}`);
    expect(made.record).toMatchObject({
      tenant_id: 'ten_a',
      name: 'default',
      scopes: ['tokens:read'],
      last_used_at: null,
      revoked_at: null,
    });
  });

  it('stores a bcrypt hash of the secret, never the secret', async () => {
    // Assess
    expect(made.record.secret_hash.startsWith('$2')).toBe(true);
    expect(await bcrypt.compare(secret, made.record.secret_hash)).toBe(true);
    expect(JSON.stringify(made.record)).not.toContain(secret);
  });

  it('createApiKey writes the item once with its audit event, conditionally, without the secret, and dedupes scopes', async () => {
    // Act
    const created = await createApiKey('ten_b', 'ci', ['tokens:read', 'tokens:write', 'tokens:read'], ctx);

    // Assess
    const txs = ddb.commandCalls(TransactWriteCommand);
    expect(txs).toHaveLength(1);
    const [put, audit] = txs[0]?.args[0].input.TransactItems ?? [];
    expect(audit?.Put?.Item).toMatchObject({
      action: 'api_key.create',
      target: { type: 'api_key', id: created.record.id },
    });
    expect(JSON.stringify(audit)).not.toContain(created.apiKey.split('_').slice(3).join('_'));
    const input = put?.Put;
    const createdSecret = created.apiKey.split('_').slice(3).join('_');
    expect(createdSecret).toHaveLength(43);
    expect(JSON.stringify(input)).not.toContain(createdSecret);
    expect(input?.ConditionExpression).toBe('attribute_not_exists(PK)');
    expect(input?.Item).toMatchObject({
      PK: `APIKEY#${created.record.id}`,
      SK: 'APIKEY',
      GSI1PK: 'TENANT#ten_b#APIKEYS',
      tenant_id: 'ten_b',
      scopes: ['tokens:read', 'tokens:write'],
    });
    expect(String(input?.Item?.secret_hash).startsWith('$2')).toBe(true);
  });
});

describe('authenticate', () => {
  it('accepts a valid key, looked up by its id', async () => {
    // Act
    const ctx = await authenticate(`Bearer ${made.apiKey}`);

    // Assess
    expect(ctx).toEqual({
      tenantId: 'ten_a',
      keyId: made.record.id,
      scopes: ['tokens:read'],
      name: 'default',
    });
    const gets = ddb.commandCalls(GetCommand);
    expect(gets).toHaveLength(1);
    expect(gets[0]?.args[0].input.Key).toEqual({ PK: `APIKEY#${made.record.id}`, SK: 'APIKEY' });
  });

  it('accepts a lower-case scheme and surrounding whitespace', async () => {
    // Act
    const ctx = await authenticate(`bearer   ${made.apiKey}  `);

    // Assess
    expect(ctx.keyId).toBe(made.record.id);
  });

  it('50 calls with the same key: one GetItem and one bcrypt compare (cache)', async () => {
    // Prepare
    const compares = authStats.bcryptCompares;
    const lookups = authStats.lookups;

    // Act
    for (let i = 0; i < 50; i++) await authenticate(`Bearer ${made.apiKey}`);

    // Assess
    expect(ddb.commandCalls(GetCommand)).toHaveLength(1);
    expect(authStats.bcryptCompares - compares).toBe(1);
    expect(authStats.lookups - lookups).toBe(1);
  });

  it('verifies again once the cache TTL (60 s by default) has passed', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    await authenticate(`Bearer ${made.apiKey}`);

    // Act
    vi.setSystemTime(T0 + 59_000);
    await authenticate(`Bearer ${made.apiKey}`);
    const getsWithinTtl = ddb.commandCalls(GetCommand).length;
    vi.setSystemTime(T0 + 61_000);
    await authenticate(`Bearer ${made.apiKey}`);

    // Assess
    expect(getsWithinTtl).toBe(1);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(2);
  });

  it('a cached key does not let a wrong secret for the same id through', async () => {
    // Prepare
    await authenticate(`Bearer ${made.apiKey}`);
    const wrong = `vk_live_${made.record.id}_${'A'.repeat(43)}`;

    // Act
    const err = await rejection(authenticate(`Bearer ${wrong}`));

    // Assess
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(2);
  });

  it.each([
    ['a wrong secret', () => `Bearer vk_live_${made.record.id}_${'A'.repeat(43)}`],
    ['an unknown id', () => `Bearer vk_live_${'0'.repeat(16)}_${secret}`],
    ['Basic auth', () => 'Basic dXNlcjpwYXNz'],
    ['Basic x', () => 'Basic x'],
    ['a bare Bearer', () => 'Bearer'],
    ['an empty header', () => ''],
    ['no header', () => undefined],
    ['a short key', () => 'Bearer vk_live_short'],
    ['a test-mode prefix', () => `Bearer ${made.apiKey.replace('vk_live_', 'vk_test_')}`],
    ['the key without scheme', () => made.apiKey],
  ])('rejects %s: 401, WWW-Authenticate: Bearer, generic message', async (_label, header) => {
    // Act
    const err = await rejection(authenticate(header()));

    // Assess
    expect(err).toBeInstanceOf(UnauthorizedError);
    const e = err as UnauthorizedError;
    expect(e.statusCode).toBe(401);
    expect(e.toProblem().status).toBe(401);
    expect(e.headers).toEqual({ 'WWW-Authenticate': 'Bearer' });
    expect(e.message).toBe(GENERIC_401);
    expect(e.toProblem().detail).toBe(GENERIC_401);
  });

  it('rejects a revoked key with the same generic 401, and does not cache it', async () => {
    // Prepare
    stored = { ...made.record, revoked_at: new Date(T0).toISOString() };

    // Act
    const first = await rejection(authenticate(`Bearer ${made.apiKey}`));
    const second = await rejection(authenticate(`Bearer ${made.apiKey}`));

    // Assess
    for (const err of [first, second]) {
      expect(err).toBeInstanceOf(UnauthorizedError);
      expect((err as UnauthorizedError).message).toBe(GENERIC_401);
      expect((err as UnauthorizedError).headers['WWW-Authenticate']).toBe('Bearer');
    }
    expect(ddb.commandCalls(GetCommand)).toHaveLength(2);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('an unknown id costs no bcrypt compare: a flood of made-up keys burns no CPU', async () => {
    // Prepare
    const compares = authStats.bcryptCompares;

    // Act
    const err = await rejection(authenticate(`Bearer vk_live_${'0'.repeat(16)}_${secret}`));

    // Assess
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as UnauthorizedError).message).toBe(GENERIC_401);
    expect(authStats.bcryptCompares).toBe(compares);
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input.Key).toEqual({
      PK: `APIKEY#${'0'.repeat(16)}`,
      SK: 'APIKEY',
    });
  });

  it('a malformed header is refused without a table read or bcrypt', async () => {
    // Prepare
    const compares = authStats.bcryptCompares;

    // Act
    for (const header of ['Basic x', 'Bearer', '', 'Bearer vk_live_short']) {
      await rejection(authenticate(header));
    }

    // Assess
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
    expect(authStats.bcryptCompares).toBe(compares);
  });

  it('revoking a key drops it from the cache: the next call re-reads and is refused', async () => {
    // Prepare
    const admin: AuthContext = { tenantId: 'ten_a', keyId: 'other_admin_key', scopes: ['admin'] };
    await authenticate(`Bearer ${made.apiKey}`);

    // Act
    await revokeApiKey(admin, made.record.id, ctx);
    stored = { ...made.record, revoked_at: new Date().toISOString() };
    const err = await rejection(authenticate(`Bearer ${made.apiKey}`));

    // Assess
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(2);
    const [revoke, audit] = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(revoke?.Update?.UpdateExpression).toContain('revoked_at');
    expect(revoke?.Update?.Key).toEqual({ PK: `APIKEY#${made.record.id}`, SK: 'APIKEY' });
    expect(revoke?.Update?.ExpressionAttributeValues?.[':tenant']).toBe('ten_a');
    expect(audit?.Put?.Item).toMatchObject({ action: 'api_key.revoke', target: { id: made.record.id } });
  });

  it('a key cannot revoke itself', async () => {
    // Prepare
    const self: AuthContext = { tenantId: 'ten_a', keyId: made.record.id, scopes: ['admin'] };

    // Act
    const err = await rejection(revokeApiKey(self, made.record.id, ctx));

    // Assess
    expect(err).toBeInstanceOf(ConflictError);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });
});

describe('last_used_at', () => {
  const touches = () =>
    ddb
      .commandCalls(UpdateCommand)
      .filter((c) => c.args[0].input.ExpressionAttributeNames?.['#used'] === 'last_used_at')
      .map((c) => c.args[0].input);

  it('is written at most once a minute per key', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);

    // Act
    for (let i = 0; i < 100; i++) {
      vi.setSystemTime(T0 + i * 500); // 100 calls over 49.5 s
      await authenticate(`Bearer ${made.apiKey}`);
    }
    const withinMinute = touches().length;
    vi.setSystemTime(T0 + 61_000);
    await authenticate(`Bearer ${made.apiKey}`);
    await authenticate(`Bearer ${made.apiKey}`);

    // Assess
    expect(withinMinute).toBe(1);
    const all = touches();
    expect(all).toHaveLength(2);
    expect(all[0]?.Key).toEqual({ PK: `APIKEY#${made.record.id}`, SK: 'APIKEY' });
    expect(all[0]?.ExpressionAttributeValues).toEqual({ ':at': new Date(T0).toISOString() });
    expect(all[1]?.ExpressionAttributeValues).toEqual({ ':at': new Date(T0 + 61_000).toISOString() });
  });

  it("seeds the throttle from the record's last_used_at (a cold start does not rewrite a fresh value)", async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    stored = { ...made.record, last_used_at: new Date(T0 - 10_000).toISOString() };

    // Act
    await authenticate(`Bearer ${made.apiKey}`);
    const atStart = touches().length;
    vi.setSystemTime(T0 + 49_000);
    await authenticate(`Bearer ${made.apiKey}`);
    const before = touches().length;
    vi.setSystemTime(T0 + 51_000);
    await authenticate(`Bearer ${made.apiKey}`);

    // Assess
    expect(atStart).toBe(0);
    expect(before).toBe(0);
    expect(touches()).toHaveLength(1);
    expect(touches()[0]?.ExpressionAttributeValues).toEqual({ ':at': new Date(T0 + 51_000).toISOString() });
  });

  it('a failed write does not fail the request', async () => {
    // Prepare
    ddb.on(UpdateCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));

    // Act
    const ctx = await authenticate(`Bearer ${made.apiKey}`);

    // Assess
    expect(ctx.keyId).toBe(made.record.id);
    expect(touches()).toHaveLength(1);
  });
});

describe('AUTH_CACHE_TTL_SECONDS=0', () => {
  const saved = process.env.AUTH_CACHE_TTL_SECONDS;

  afterEach(() => {
    if (saved === undefined) delete process.env.AUTH_CACHE_TTL_SECONDS;
    else process.env.AUTH_CACHE_TTL_SECONDS = saved;
    vi.resetModules();
  });

  it('disables the cache: every call reads the key and runs bcrypt', async () => {
    // Prepare
    process.env.AUTH_CACHE_TTL_SECONDS = '0';
    vi.resetModules();
    const fresh = await import('../../../lib/auth/api-keys.js');
    const compares = fresh.authStats.bcryptCompares;

    // Act
    for (let i = 0; i < 5; i++) await fresh.authenticate(`Bearer ${made.apiKey}`);

    // Assess
    expect(ddb.commandCalls(GetCommand)).toHaveLength(5);
    expect(fresh.authStats.bcryptCompares - compares).toBe(5);
    expect(fresh.authStats.lookups).toBe(5);
  });
});

describe('requireScope', () => {
  const ctx = (scopes: AuthContext['scopes']): AuthContext => ({ tenantId: 'ten_a', keyId: 'k', scopes });

  it('admin passes every scope', () => {
    // Prepare
    const admin = ctx(['admin']);

    // Act
    const checks = (['tokens:read', 'tokens:write', 'admin'] as const).map(
      (s) => () => requireScope(admin, s),
    );

    // Assess
    for (const check of checks) expect(check).not.toThrow();
  });

  it('tokens:read passes tokens:read and fails tokens:write and admin with 403', () => {
    // Prepare
    const reader = ctx(['tokens:read']);

    // Act
    let err: unknown;
    try {
      requireScope(reader, 'tokens:write');
    } catch (e) {
      err = e;
    }

    // Assess
    expect(() => requireScope(reader, 'tokens:read')).not.toThrow();
    expect(err).toBeInstanceOf(ForbiddenError);
    expect((err as ForbiddenError).statusCode).toBe(403);
    expect((err as ForbiddenError).message).toContain('tokens:write');
    expect(() => requireScope(reader, 'admin')).toThrow(ForbiddenError);
  });

  it('a key with no scopes passes nothing', () => {
    // Act
    const check = () => requireScope(ctx([]), 'tokens:read');

    // Assess
    expect(check).toThrow(ForbiddenError);
  });
});
