import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamoDbLocal, startDynamoDbLocal } from '../local/dynamodb-local.js';

// What every benchmark starts from: its own DynamoDB Local (in memory) and the environment lib/config
// reads at first import, so benchmarks import lib/ only after this.

export const N = Number(process.env.BENCH_REQUESTS ?? 2000);
export const WARMUP = 200;

export async function startBench(): Promise<DynamoDbLocal> {
  const dynamo = await startDynamoDbLocal({ inMemory: true });
  Object.assign(process.env, {
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    TABLE_NAME: 'bench',
    VAULT_HOME: mkdtempSync(join(tmpdir(), 'vault-bench-')),
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
    // The per-tenant rate limiter runs on every request (its cost is measured) but must not answer 429.
    RATE_LIMIT_PER_SECOND: '100000',
    RATE_LIMIT_BURST: '1000000',
  });
  return dynamo;
}

/** A tenant (with its admin key) and one stored Google token: what each benchmark reads. */
export async function seedBenchToken() {
  const { register } = await import('../lib/auth/tenants.js');
  const { createToken } = await import('../lib/tokens/service.js');
  const { systemContext } = await import('../lib/audit/service.js');
  const reg = await register(
    { email: `bench-${Date.now()}@example.com`, name: 'Bench' },
    undefined,
    systemContext('Bench'),
  );
  const token = await createToken(
    reg.tenant.id,
    {
      provider: 'google',
      key: 'bench-user',
      access_token: 'ya29.bench-access-token',
      refresh_token: '1//bench-refresh-token',
      token_type: 'Bearer',
      scopes: [],
      metadata: {},
    },
    systemContext('Bench'),
  );
  return { reg, token };
}
