import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { localDynamoDbClient } from '../../local/dynamodb-local.js';
import { baseEnv, freePort, killAll, spawnServer } from '../helpers/process.js';

// The per-tenant rate limit, black-box: `npm start` processes with a small limit, each an
// "instance" with its own in-memory buckets, on their own table of the test run's DynamoDB Local.

const LISTENING = /Token vault listening on (http:\/\/127\.0\.0\.1:\d+)/;
const RATE = 1; // per second: slow enough that refill during the test is at most a token or two
const BURST = 5;
const tableName = `rate-limit-${randomUUID()}`;

afterAll(async () => {
  await killAll();
  const client = localDynamoDbClient(inject('dynamodbEndpoint'));
  await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => {});
  client.destroy();
});

async function instance(): Promise<string> {
  const server = spawnServer(
    baseEnv({
      VAULT_HOME: mkdtempSync(join(tmpdir(), 'vault-rate-')),
      PORT: String(await freePort()),
      DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'),
      TABLE_NAME: tableName,
      RATE_LIMIT_PER_SECOND: String(RATE),
      RATE_LIMIT_BURST: String(BURST),
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    }),
  );
  const [, url = ''] = await server.waitForStdout(LISTENING, 60_000);
  return url;
}

async function register(url: string): Promise<string> {
  const res = await fetch(`${url}/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `rate-${randomUUID()}@example.com`, name: 'Rate' }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { api_key: string }).api_key;
}

const list = (url: string, key: string) =>
  fetch(`${url}/v1/tokens`, { headers: { authorization: `Bearer ${key}` } });

describe('per-tenant rate limit', () => {
  let a = '';
  let b = '';
  // Starting the instances is set-up, not a test.
  beforeAll(async () => {
    [a, b] = await Promise.all([instance(), instance()]);
  }, 90_000);

  it('answers 429 with Retry-After and RateLimit headers over the burst; other tenants are not affected', async () => {
    // Prepare
    const flooder = await register(a);
    const quiet = await register(a);

    // Act
    const statuses: number[] = [];
    const remaining: string[] = [];
    for (let i = 0; i < BURST + 3; i++) {
      const res = await list(a, flooder);
      statuses.push(res.status);
      remaining.push(res.headers.get('ratelimit-remaining') ?? '');
      if (res.status === 429) {
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(res.headers.get('ratelimit-limit')).toBe(String(BURST));
        expect((await res.json()) as { status: number }).toMatchObject({ status: 429 });
      } else await res.text();
    }
    const other = await list(a, quiet);

    // Assess
    expect(statuses.slice(0, BURST)).toEqual(Array(BURST).fill(200));
    expect(statuses.at(-1)).toBe(429);
    expect(remaining.slice(0, 3)).toEqual([String(BURST - 1), String(BURST - 2), String(BURST - 3)]);
    expect(other.status).toBe(200);
    expect(other.headers.get('ratelimit-limit')).toBe(String(BURST));
    expect(other.headers.get('ratelimit-remaining')).toBe(String(BURST - 1));
  });

  it('is per instance: across two instances a tenant gets up to twice the burst (the README says so)', async () => {
    // Prepare
    const key = await register(a);

    // Act: alternate between the instances, as a load balancer would
    let passed = 0;
    for (let i = 0; i < 2 * BURST + 4; i++) {
      const res = await list(i % 2 === 0 ? a : b, key);
      await res.text();
      if (res.status === 200) passed++;
    }

    // Assess: each instance let its own burst through (refill adds at most a couple in this time)
    expect(passed).toBeGreaterThanOrEqual(2 * BURST);
    expect(passed).toBeLessThan(2 * BURST + 4);
  });

  it('public routes are not limited', async () => {
    // Act
    const codes = await Promise.all(
      Array.from({ length: BURST + 2 }, () => fetch(`${a}/health`).then((r) => r.status)),
    );

    // Assess
    expect(codes.every((c) => c === 200)).toBe(true);
  });
});
