import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
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
    // Prepare: the global setup already created the table.

    // Act
    const first = await ensureTable(client, tableName);
    const second = await ensureTable(client, tableName);

    // Assess
    expect(first).toBe('exists');
    expect(second).toBe('exists');
  });

  it('creates a fresh table with the three GSIs, all projecting ALL', async () => {
    // Prepare
    const name = `ensure-${randomUUID()}`;

    // Act
    const first = await ensureTable(client, name);
    const second = await ensureTable(client, name);

    // Assess
    expect(first).toBe('created');
    expect(second).toBe('exists');
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
});

describe('startDynamoDbLocal with dbPath', () => {
  it('keeps data across restarts', { timeout: 90_000 }, async () => {
    // Prepare: a first instance writes an item to a file-backed database, then stops.
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

      // Act: a second instance on the same path.
      const second = await startDynamoDbLocal({ dbPath });
      const c2 = localDynamoDbClient(second.endpoint);
      try {
        const { Item } = await c2.send(
          new GetItemCommand({ TableName: 'persist', Key: { PK: { S: 'kept' } } }),
        );

        // Assess
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
