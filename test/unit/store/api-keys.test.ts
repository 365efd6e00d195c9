import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../lib/errors.js';
import {
  type ApiKeyRecord,
  apiKeyItem,
  getApiKey,
  listApiKeys,
  revokeApiKey,
  touchApiKey,
} from '../../../lib/store/api-keys.js';

const ddb = mockClient(DynamoDBDocumentClient);

const record = (id: string): ApiKeyRecord => ({
  id,
  tenant_id: 'ten_a',
  name: `key ${id}`,
  scopes: ['admin'],
  prefix: `vk_live_${id}`,
  secret_hash: '$2b$10$abcdefghijklmnopqrstuuJ1yR0Q7xq2mJ8o3r5s6t7u8v9w0x1y2',
  created_at: '2030-01-01T00:00:00.000Z',
  last_used_at: null,
  revoked_at: null,
});

afterEach(() => {
  ddb.reset();
});

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
    ddb.on(GetCommand).resolves({});
    ddb.on(GetCommand, { Key: { PK: 'APIKEY#aaaaaaaaaaaaaaaa', SK: 'APIKEY' } }).resolves({
      Item: apiKeyItem(record('aaaaaaaaaaaaaaaa')),
    });

    // Act
    const found = await getApiKey('aaaaaaaaaaaaaaaa');
    const missing = await getApiKey('bbbbbbbbbbbbbbbb');

    // Assess
    expect(found).toEqual(record('aaaaaaaaaaaaaaaa'));
    expect(missing).toBeNull();
  });

  it("listApiKeys pages through a tenant's keys: the next_cursor of page 1 opens page 2", async () => {
    // Prepare: DynamoDB's LastEvaluatedKey for a GSI1 query holds the table key and the index key.
    const lastKey = {
      PK: 'APIKEY#aaaaaaaaaaaaaaaa',
      SK: 'APIKEY',
      GSI1PK: 'TENANT#ten_a#APIKEYS',
      GSI1SK: '2030-01-01T00:00:00.000Z#aaaaaaaaaaaaaaaa',
    };
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [apiKeyItem(record('aaaaaaaaaaaaaaaa'))], LastEvaluatedKey: lastKey })
      .resolvesOnce({ Items: [apiKeyItem(record('bbbbbbbbbbbbbbbb'))] });
    const page1 = await listApiKeys('ten_a', 1);

    // Act
    const page2 = await listApiKeys('ten_a', 1, page1.next_cursor ?? undefined);

    // Assess
    expect(page1.items.map((k) => k.id)).toEqual(['aaaaaaaaaaaaaaaa']);
    expect(page2.items.map((k) => k.id)).toEqual(['bbbbbbbbbbbbbbbb']);
    expect(page2.next_cursor).toBeNull();
    const queries = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries[0]).toMatchObject({
      IndexName: 'GSI1',
      KeyConditionExpression: 'GSI1PK = :pk',
      ExpressionAttributeValues: { ':pk': 'TENANT#ten_a#APIKEYS' },
      Limit: 1,
    });
    expect(queries[0]?.ExclusiveStartKey).toBeUndefined();
    expect(queries[1]?.ExclusiveStartKey).toEqual(lastKey);
  });

  it('touchApiKey sets last_used_at only on an existing key', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({});

    // Act
    await touchApiKey('aaaaaaaaaaaaaaaa', '2030-01-01T00:01:00.000Z');

    // Assess
    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      Key: { PK: 'APIKEY#aaaaaaaaaaaaaaaa', SK: 'APIKEY' },
      UpdateExpression: 'SET #used = :at',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeNames: { '#used': 'last_used_at' },
      ExpressionAttributeValues: { ':at': '2030-01-01T00:01:00.000Z' },
    });
  });

  it("revokeApiKey of another tenant's (or an unknown) key is 404", async () => {
    // Prepare
    ddb.on(UpdateCommand).rejects(
      Object.assign(new Error('The conditional request failed'), {
        name: 'ConditionalCheckFailedException',
      }),
    );

    // Act
    const err = await revokeApiKey('ten_a', 'bbbbbbbbbbbbbbbb', '2030-01-01T00:00:00.000Z').catch((e) => e);

    // Assess
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).statusCode).toBe(404);
    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toContain('tenant_id = :tenant');
    expect(input?.ExpressionAttributeValues?.[':tenant']).toBe('ten_a');
    expect(input?.UpdateExpression).toContain('REMOVE GSI1PK, GSI1SK');
  });
});
