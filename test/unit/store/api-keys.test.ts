import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BadRequestError, NotFoundError } from '../../../lib/errors.js';
import {
  type ApiKeyRecord,
  apiKeyItem,
  getApiKey,
  listApiKeys,
  putApiKey,
  revokeApiKey,
  touchApiKey,
} from '../../../lib/store/api-keys.js';
import { getConsistent } from '../../../lib/store/db.js';
import { keys } from '../../../lib/store/keys.js';

// Against DynamoDB Local (test/setup): what a store call leaves in the table, not what it sends.

const hex = () => randomBytes(8).toString('hex');

const record = (tenantId: string, id = hex(), createdAt = '2030-01-01T00:00:00.000Z'): ApiKeyRecord => ({
  id,
  tenant_id: tenantId,
  name: `key ${id}`,
  scopes: ['admin'],
  prefix: `vk_live_${id}`,
  secret_hash: '$2b$10$abcdefghijklmnopqrstuuJ1yR0Q7xq2mJ8o3r5s6t7u8v9w0x1y2',
  created_at: createdAt,
  last_used_at: null,
  revoked_at: null,
});

describe('store/api-keys', () => {
  it('apiKeyItem: the table and GSI1 keys, no NULL timestamps', () => {
    // Act
    const item = apiKeyItem(record('ten_a', 'aaaaaaaaaaaaaaaa'));

    // Assess
    expect(item).toMatchObject({
      PK: 'APIKEY#aaaaaaaaaaaaaaaa',
      SK: 'APIKEY',
      GSI1PK: 'TENANT#ten_a#APIKEYS',
      GSI1SK: '2030-01-01T00:00:00.000Z#aaaaaaaaaaaaaaaa',
      type: 'api_key',
    });
    expect('last_used_at' in item).toBe(false);
    expect('revoked_at' in item).toBe(false);
  });

  it('getApiKey reads back what putApiKey stored; a missing key is null', async () => {
    // Prepare
    const k = record(`ten_${hex()}`);
    await putApiKey(k);

    // Act
    const found = await getApiKey(k.id);
    const missing = await getApiKey(hex());

    // Assess
    expect(found).toEqual(k);
    expect(missing).toBeNull();
  });

  it("listApiKeys pages through a tenant's keys, oldest first, and only that tenant's", async () => {
    // Prepare
    const tenant = `ten_${hex()}`;
    const mine = [
      record(tenant, hex(), '2030-01-01T00:00:00.000Z'),
      record(tenant, hex(), '2030-01-02T00:00:00.000Z'),
      record(tenant, hex(), '2030-01-03T00:00:00.000Z'),
    ];
    for (const k of [...mine, record(`ten_${hex()}`)]) await putApiKey(k);

    // Act
    const page1 = await listApiKeys(tenant, 2);
    const page2 = await listApiKeys(tenant, 2, page1.next_cursor ?? undefined);

    // Assess
    expect(page1.items.map((k) => k.id)).toEqual([mine[0]?.id, mine[1]?.id]);
    expect(page2.items.map((k) => k.id)).toEqual([mine[2]?.id]);
    expect(page2.next_cursor).toBeNull();
  });

  it("another tenant's cursor is refused (400)", async () => {
    // Prepare
    const tenant = `ten_${hex()}`;
    await putApiKey(record(tenant));
    await putApiKey(record(tenant));
    const { next_cursor } = await listApiKeys(tenant, 1);

    // Act
    const err = await listApiKeys(`ten_${hex()}`, 1, next_cursor ?? undefined).catch((e) => e);

    // Assess
    expect(err).toBeInstanceOf(BadRequestError);
  });

  it('touchApiKey sets last_used_at on an existing key and creates none', async () => {
    // Prepare
    const k = record(`ten_${hex()}`);
    await putApiKey(k);
    const unknown = hex();

    // Act
    await touchApiKey(k.id, '2030-01-01T00:01:00.000Z');
    const err = await touchApiKey(unknown, '2030-01-01T00:01:00.000Z').catch((e) => e);

    // Assess
    expect((await getApiKey(k.id))?.last_used_at).toBe('2030-01-01T00:01:00.000Z');
    expect(err).toBeInstanceOf(NotFoundError);
    expect(await getConsistent(keys.apiKey(unknown))).toBeUndefined();
  });

  it("revokeApiKey of another tenant's key is 404 and leaves it as it was; its own key leaves the list", async () => {
    // Prepare
    const tenant = `ten_${hex()}`;
    const k = record(tenant);
    await putApiKey(k);

    // Act
    const err = await revokeApiKey(`ten_${hex()}`, k.id, '2030-01-01T00:00:00.000Z').catch((e) => e);
    const before = await getApiKey(k.id);
    await revokeApiKey(tenant, k.id, '2030-01-02T00:00:00.000Z');
    const again = await revokeApiKey(tenant, k.id, '2030-01-03T00:00:00.000Z').catch((e) => e);

    // Assess
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).statusCode).toBe(404);
    expect(before?.revoked_at).toBeNull();
    expect((await getApiKey(k.id))?.revoked_at).toBe('2030-01-02T00:00:00.000Z');
    expect(again).toBeInstanceOf(NotFoundError);
    expect((await listApiKeys(tenant, 10)).items).toEqual([]);
  });
});
