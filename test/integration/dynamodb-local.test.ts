import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { INDEXES, TTL_ATTRIBUTE } from '../../lib/store/keys.js';
import { localDynamoDbClient, startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { ensureTable } from '../../local/table.js';

const endpoint = inject('dynamodbEndpoint');
const tableName = inject('tableName');
const client = localDynamoDbClient(endpoint);

afterAll(() => client.destroy());

describe('DynamoDB Local table', () => {
  it('ensureTable is idempotent', async () => {
    expect(await ensureTable(client, tableName)).toBe('exists');
    expect(await ensureTable(client, tableName)).toBe('exists');
  });

  it('creates a fresh table with the three GSIs, all projecting ALL', async () => {
    const name = `ensure-${randomUUID()}`;
    expect(await ensureTable(client, name)).toBe('created');
    expect(await ensureTable(client, name)).toBe('exists');

    for (const table of [name, tableName]) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.KeySchema).toEqual([
        { AttributeName: 'PK', KeyType: 'HASH' },
        { AttributeName: 'SK', KeyType: 'RANGE' },
      ]);
      const gsis = Table?.GlobalSecondaryIndexes ?? [];
      expect(gsis.map((g) => g.IndexName).sort()).toEqual(Object.values(INDEXES).sort());
      for (const gsi of gsis) expect(gsi.Projection?.ProjectionType).toBe('ALL');
    }
    expect(TTL_ATTRIBUTE).toBe('ttl');
  });

  it('round-trips an item', async () => {
    const PK = `TEST#${randomUUID()}`;
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { PK: { S: PK }, SK: { S: 'ITEM' }, value: { S: 'hello' }, n: { N: '42' } },
      }),
    );
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { PK: { S: PK }, SK: { S: 'ITEM' } },
        ConsistentRead: true,
      }),
    );
    expect(Item).toEqual({ PK: { S: PK }, SK: { S: 'ITEM' }, value: { S: 'hello' }, n: { N: '42' } });
  });

  it('rejects a transaction whose condition fails', async () => {
    const PK = `TEST#${randomUUID()}`;
    await client.send(
      new PutItemCommand({ TableName: tableName, Item: { PK: { S: PK }, SK: { S: 'CLAIM' } } }),
    );

    const attempt = client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName,
              Item: { PK: { S: PK }, SK: { S: 'CLAIM' } },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          { Put: { TableName: tableName, Item: { PK: { S: PK }, SK: { S: 'OTHER' } } } },
        ],
      }),
    );
    await expect(attempt).rejects.toMatchObject({
      name: 'TransactionCanceledException',
      CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
    });

    // Nothing of the cancelled transaction was written.
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { PK: { S: PK }, SK: { S: 'OTHER' } },
        ConsistentRead: true,
      }),
    );
    expect(Item).toBeUndefined();
  });
});

describe('startDynamoDbLocal with dbPath', () => {
  it('keeps data across restarts', { timeout: 90_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ddb-local-'));
    const dbPath = join(dir, 'data');
    try {
      const first = await startDynamoDbLocal({ dbPath });
      const c1 = localDynamoDbClient(first.endpoint);
      try {
        await c1.send(
          new CreateTableCommand({
            TableName: 'persist',
            BillingMode: 'PAY_PER_REQUEST',
            AttributeDefinitions: [{ AttributeName: 'PK', AttributeType: 'S' }],
            KeySchema: [{ AttributeName: 'PK', KeyType: 'HASH' }],
          }),
        );
        await c1.send(
          new PutItemCommand({ TableName: 'persist', Item: { PK: { S: 'kept' }, v: { S: '1' } } }),
        );
      } finally {
        c1.destroy();
        await first.stop();
      }

      const second = await startDynamoDbLocal({ dbPath });
      const c2 = localDynamoDbClient(second.endpoint);
      try {
        const { Item } = await c2.send(
          new GetItemCommand({ TableName: 'persist', Key: { PK: { S: 'kept' } } }),
        );
        expect(Item).toEqual({ PK: { S: 'kept' }, v: { S: '1' } });
      } finally {
        c2.destroy();
        await second.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
