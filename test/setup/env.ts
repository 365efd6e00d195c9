import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

// Every test worker: the shared DynamoDB Local from globalSetup, its own VAULT_HOME (local master
// key), quiet logs, no EMF metrics. lib/config reads these once, at first import.
process.env.DYNAMODB_ENDPOINT = inject('dynamodbEndpoint');
process.env.TABLE_NAME = inject('tableName');
process.env.VAULT_HOME = mkdtempSync(join(tmpdir(), 'vault-test-'));
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.AWS_REGION ??= 'us-east-1';
// Tests hammer one tenant (races, floods): the per-tenant rate limit is tested on its own, with its own limits.
process.env.RATE_LIMIT_PER_SECOND ??= '100000';
process.env.RATE_LIMIT_BURST ??= '100000';
