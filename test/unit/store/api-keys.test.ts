import { randomBytes } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { ddb, tableName } from '../../../lib/aws.js';
import { NotFoundError } from '../../../lib/errors.js';
import {
  type ApiKeyRecord,
  apiKeyItem,
  getApiKey,
  listApiKeys,
  putApiKey,
  revokeApiKey,
  touchApiKey,
} from '../../../lib/store/api-keys.js';

// The API-key store against DynamoDB Local (the test setup's table): what is, and is not, in the table.

const newKeyId = () => randomBytes(8).toString('hex');
const newTenant = () => `ten_${randomBytes(6).toString('hex')}`;

const record = (id: string, tenant = 'ten_a', created_at = '2030-01-01T00:00:00.000Z'): ApiKeyRecord => ({
  id,
  tenant_id: tenant,
  name: `key ${id}`,
  scopes: ['admin'],
  prefix: `vk_live_${id}`,
  secret_hash: '$2b$10$abcdefghijklmnopqrstuuJ1yR0Q7xq2mJ8o3r5s6t7u8v9w0x1y2',
  created_at,
  last_used_at: null,
  revoked_at: null,
});

/** The raw item, read consistently. */
async function rawItem(id: string) {
  const out = await ddb.send(
    new GetCommand({ TableName: tableName, Key: { PK: `APIKEY#${id}`, SK: 'APIKEY' }, ConsistentRead: true }),
  );
  return out.Item;
}

describe('store/api-keys', () => {
  it('apiKeyItem: the table and GSI1 keys, no NULL timestamps', () => {
    // Act
    const item = apiKeyItem(record('aaaaaaaaaaaaaaaa'));

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

  it('getApiKey reads one item by key id; a missing item is null', async () => {
    // Prepare
    const id = newKeyId();
    const tenant = newTenant();
    await putApiKey(record(id, tenant));

    // Act
    const found = await getApiKey(id);
    const missing = await getApiKey(newKeyId());

    // Assess
    expect(found).toEqual(record(id, tenant));
    expect(missing).toBeNull();
  });

  it("listApiKeys pages through a tenant's keys, oldest first: the next_cursor of page 1 opens page 2", async () => {
    // Prepare: three keys of one tenant, and one of another tenant that must not show.
    const tenant = newTenant();
    const ids = [newKeyId(), newKeyId(), newKeyId()];
    for (const [i, id] of ids.entries()) await putApiKey(record(id, tenant, `2030-01-01T00:00:0${i}.000Z`));
    await putApiKey(record(newKeyId(), newTenant()));
    const page1 = await listApiKeys(tenant, 2);

    // Act
    const page2 = await listApiKeys(tenant, 2, page1.next_cursor ?? undefined);

    // Assess
    expect(page1.items.map((k) => k.id)).toEqual(ids.slice(0, 2));
    expect(page1.next_cursor).toEqual(expect.any(String));
    expect(page2.items.map((k) => k.id)).toEqual(ids.slice(2));
    expect(page2.next_cursor).toBeNull();
  });

  it("listApiKeys refuses another tenant's cursor", async () => {
    // Prepare
    const tenant = newTenant();
    for (const i of [0, 1]) await putApiKey(record(newKeyId(), tenant, `2030-01-01T00:00:0${i}.000Z`));
    const { next_cursor } = await listApiKeys(tenant, 1);

    // Act
    const attempt = listApiKeys(newTenant(), 1, next_cursor ?? undefined);

    // Assess
    expect(next_cursor).toEqual(expect.any(String));
    await expect(attempt).rejects.toMatchObject({ statusCode: 400 });
  });

  it('touchApiKey sets last_used_at on an existing key', async () => {
    // Prepare
    const id = newKeyId();
    await putApiKey(record(id, newTenant()));

    // Act
    await touchApiKey(id, '2030-01-01T00:01:00.000Z');

    // Assess
    expect((await getApiKey(id))?.last_used_at).toBe('2030-01-01T00:01:00.000Z');
  });

  it('touchApiKey of an unknown key fails and creates nothing', async () => {
    // Prepare
    const id = newKeyId();

    // Act
    const attempt = touchApiKey(id, '2030-01-01T00:01:00.000Z');

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(NotFoundError);
    expect(await rawItem(id)).toBeUndefined();
  });

  it("revokeApiKey of another tenant's (or an unknown) key is 404 and changes nothing", async () => {
    // Prepare
    const tenant = newTenant();
    const id = newKeyId();
    await putApiKey(record(id, tenant));
    const before = await rawItem(id);

    // Act
    const err = await revokeApiKey(newTenant(), id, '2030-01-01T00:00:00.000Z').catch((e) => e);
    const unknown = await revokeApiKey(tenant, newKeyId(), '2030-01-01T00:00:00.000Z').catch((e) => e);

    // Assess
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).statusCode).toBe(404);
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect(await rawItem(id)).toEqual(before);
    expect((await listApiKeys(tenant, 10)).items.map((k) => k.id)).toEqual([id]);
  });

  it('revokeApiKey marks the key revoked with a retention TTL, takes it out of the list, and a second revoke is 404', async () => {
    // Prepare
    const tenant = newTenant();
    const id = newKeyId();
    await putApiKey(record(id, tenant));

    // Act
    await revokeApiKey(tenant, id, '2030-01-02T00:00:00.000Z');
    const again = await revokeApiKey(tenant, id, '2030-01-03T00:00:00.000Z').catch((e) => e);

    // Assess
    const item = await rawItem(id);
    expect(item).toMatchObject({ revoked_at: '2030-01-02T00:00:00.000Z', ttl: expect.any(Number) });
    const ninetyDays = Math.floor(Date.now() / 1000) + 90 * 86_400;
    expect(item?.ttl).toBeGreaterThan(ninetyDays - 60);
    expect(item?.ttl).toBeLessThanOrEqual(ninetyDays);
    expect(item).not.toHaveProperty('GSI1PK');
    expect(item).not.toHaveProperty('GSI1SK');
    expect((await listApiKeys(tenant, 10)).items).toEqual([]);
    expect(again).toBeInstanceOf(NotFoundError);
  });
});
