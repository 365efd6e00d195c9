import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { tableDefinition } from '../lib/store/keys.js';

// Creates the single table (as declared in keys.ts) when it is missing. Used by the local server and the
// tests; on AWS the CDK stack creates the table from the same declaration.

const MAX_WAIT_SECONDS = 60;

const errorName = (err: unknown) => (err instanceof Error ? err.name : undefined);

async function waitForActive(client: DynamoDBClient, tableName: string): Promise<void> {
  await waitUntilTableExists(
    { client, maxWaitTime: MAX_WAIT_SECONDS, minDelay: 1, maxDelay: 5 },
    { TableName: tableName },
  );
}

export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<'created' | 'exists'> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    // Another process may have just created it; don't hand back a table that cannot take writes yet.
    if (Table?.TableStatus !== 'ACTIVE') await waitForActive(client, tableName);
    return 'exists';
  } catch (err) {
    if (errorName(err) !== 'ResourceNotFoundException') throw err;
  }

  const { partitionKey, sortKey, indexes, ttlAttribute } = tableDefinition;
  const keyNames = [partitionKey, sortKey, ...indexes.flatMap((i) => [i.partitionKey, i.sortKey])];
  const attributeDefinitions: AttributeDefinition[] = [...new Set(keyNames)].map((name) => ({
    AttributeName: name,
    AttributeType: 'S',
  }));

  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: attributeDefinitions,
        KeySchema: [
          { AttributeName: partitionKey, KeyType: 'HASH' },
          { AttributeName: sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: indexes.map((index) => ({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
      }),
    );
  } catch (err) {
    // Lost a race with another process creating the same table.
    if (errorName(err) !== 'ResourceInUseException') throw err;
    await waitForActive(client, tableName);
    return 'exists';
  }

  await waitForActive(client, tableName);
  // DynamoDB Local accepts this but never expires items; real DynamoDB does (within ~48 h of expiry).
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
    }),
  );
  return 'created';
}
