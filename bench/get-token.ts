// `npm run bench`: the cost of the vault's read path against DynamoDB Local, in one run.
// Measures a warm GET /v1/tokens/{id} through the full handler stack (middy chain, auth, DynamoDB
// read, decryption) against a bare GetItem of the same item, interleaved so that both see the
// same machine noise; and counts bcrypt compares and key-provider (KMS) calls per 1,000 requests.
import { performance } from 'node:perf_hooks';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { N, seedBenchToken, startBench, WARMUP } from './setup.js';

const dynamo = await startBench();

try {
  const { ddb, dynamoClient, tableName } = await import('../lib/aws.js');
  const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
  const { ensureTable } = await import('../local/table.js');
  const { keyProvider } = await import('../lib/crypto/index.js');
  const { authStats } = await import('../lib/auth/api-keys.js');
  const { handler } = await import('../functions/tokens/get.js');
  const { keys } = await import('../lib/store/keys.js');
  await ensureTable(dynamoClient, tableName);

  // Count unwraps of data keys (KMS Decrypt when deployed).
  let keyCalls = 0;
  const unwrap = keyProvider.decryptDataKey.bind(keyProvider);
  keyProvider.decryptDataKey = (w, c) => {
    keyCalls++;
    return unwrap(w, c);
  };

  const { reg, token } = await seedBenchToken();
  // A cold process: no cached key, no cached data key.
  const { dataKeys } = await import('../lib/keyring/index.js');
  dataKeys.clear();

  const event = (): APIGatewayProxyEventV2 =>
    ({
      version: '2.0',
      routeKey: 'GET /v1/tokens/{id}',
      rawPath: `/v1/tokens/${token.id}`,
      rawQueryString: '',
      headers: { authorization: `Bearer ${reg.api_key}` },
      pathParameters: { id: token.id },
      requestContext: { requestId: 'bench', http: { method: 'GET', path: `/v1/tokens/${token.id}` } },
      isBase64Encoded: false,
    }) as unknown as APIGatewayProxyEventV2;
  const context = {
    awsRequestId: 'bench',
    functionName: 'GetToken',
    getRemainingTimeInMillis: () => 10_000,
  } as Context;
  const bare = new GetCommand({ TableName: tableName, Key: keys.token(reg.tenant.id, token.id) });

  const viaHandler: number[] = [];
  const viaGetItem: number[] = [];
  const bcryptBefore = authStats.bcryptCompares;
  const keyCallsBefore = keyCalls;
  for (let i = 0; i < WARMUP + N; i++) {
    let t = performance.now();
    const res = await handler(event(), context);
    const h = performance.now() - t;
    if (res.statusCode !== 200) throw new Error(`GET returned ${res.statusCode}: ${res.body}`);
    t = performance.now();
    await ddb.send(bare);
    const g = performance.now() - t;
    if (i >= WARMUP) {
      viaHandler.push(h);
      viaGetItem.push(g);
    }
  }
  const bcrypts = authStats.bcryptCompares - bcryptBefore;
  const kmsCalls = keyCalls - keyCallsBefore;

  const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
  };
  const f = (ms: number) => `${ms.toFixed(2)} ms`;
  const total = WARMUP + N;
  console.log(
    `GET /v1/tokens/{id}, ${N} warm requests (after ${WARMUP} warm-up), DynamoDB Local, Node ${process.version}`,
  );
  console.log(`  full handler  p50 ${f(pct(viaHandler, 50))}  p99 ${f(pct(viaHandler, 99))}`);
  console.log(`  bare GetItem  p50 ${f(pct(viaGetItem, 50))}  p99 ${f(pct(viaGetItem, 99))}`);
  console.log(
    `  ratio         p50 ${(pct(viaHandler, 50) / pct(viaGetItem, 50)).toFixed(2)}  p99 ${(pct(viaHandler, 99) / pct(viaGetItem, 99)).toFixed(2)}`,
  );
  console.log(
    `  bcrypt compares: ${bcrypts} in ${total} requests (${((bcrypts * 1000) / total).toFixed(2)} per 1,000)`,
  );
  console.log(
    `  key-provider (KMS) calls: ${kmsCalls} in ${total} requests (${((kmsCalls * 1000) / total).toFixed(2)} per 1,000)`,
  );
} finally {
  await dynamo.stop();
}
