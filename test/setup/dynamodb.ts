import type { TestProject } from 'vitest/node';
import { type DynamoDbLocal, localDynamoDbClient, startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { ensureTable } from '../../local/table.js';

// vitest globalSetup: one DynamoDB Local (in memory) for the whole run, with the table created. Tests read
// the endpoint and table name with `inject('dynamodbEndpoint')` / `inject('tableName')`.
// Set DYNAMODB_ENDPOINT to use an already running DynamoDB Local instead of starting the jar.

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    tableName: string;
  }
}

const TABLE_NAME = 'token-vault-test';

export default async function setup(project: TestProject) {
  let local: DynamoDbLocal | undefined;
  let endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) {
    const started = Date.now();
    local = await startDynamoDbLocal({ inMemory: true });
    endpoint = local.endpoint;
    if (process.env.DEBUG_DYNAMODB_LOCAL) console.log(`DynamoDB Local up in ${Date.now() - started} ms`);
  }

  const client = localDynamoDbClient(endpoint);
  try {
    await ensureTable(client, TABLE_NAME);
  } catch (err) {
    await local?.stop();
    throw err;
  } finally {
    client.destroy();
  }

  project.provide('dynamodbEndpoint', endpoint);
  project.provide('tableName', TABLE_NAME);

  return async () => {
    await local?.stop();
  };
}
