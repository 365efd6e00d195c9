// `npm run bench`: the cost of the vault's read path against DynamoDB Local, in one run.
// 1. In process: a warm GET /v1/tokens/{id} through the full handler stack (middy chain, auth,
//    DynamoDB read, decryption) against a bare GetItem of the same item, interleaved so that both
//    see the same machine noise; and bcrypt compares and key-provider (KMS) calls per 1,000 requests.
// 2. Over HTTP: the same GET against the local server (bench/http-server.ts, its own process), and
//    its floor measured in the same run, interleaved: a GET /health round trip (HTTP, adapter, middy
//    chain) plus a bare GetItem.
// Since issue 11 the read also writes its audit event (a PutItem in parallel with the GetItem), so
// both also print the floor of what the read must now do: GetItem || PutItem (one round trip each,
// concurrent), and the handler as it was before the audit trail (the same chain and read, built here
// from the lower-level functions, without the audit event) to show the p50 growth the event costs.
// And whether DynamoDB Local overlaps concurrent requests at all: GetItem, PutItem, GetItem ||
// PutItem, GetItem || GetItem.
import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { N, seedBenchToken, startBench, WARMUP } from './setup.js';

const IN_PROCESS_TARGET = 1.15;
const HTTP_TARGET = 1.1;

const dynamo = await startBench();
let server: ChildProcess | undefined;

try {
  const { ddb, dynamoClient, tableName } = await import('../lib/aws.js');
  const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
  const { ensureTable } = await import('../local/table.js');
  const { keyProvider } = await import('../lib/crypto/index.js');
  const { authStats } = await import('../lib/auth/api-keys.js');
  const { handler } = await import('../functions/tokens/get.js');
  const { keys } = await import('../lib/store/keys.js');
  const { route } = await import('../lib/http/route.js');
  const { ok } = await import('../lib/http/responses.js');
  const { tokenRoutes } = await import('../functions/tokens/routes.js');
  const { getFreshToken } = await import('../lib/refresh/on-demand.js');
  const { withSecrets } = await import('../lib/tokens/service.js');
  const { auditEvent } = await import('../lib/audit/service.js');
  const { requestAuditContext } = await import('../lib/http/audit-context.js');
  const { putAudit } = await import('../lib/store/audit.js');
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

  // The audit write the read makes: the same item, a new one each time (as the handler writes).
  const auditCtx = requestAuditContext(event() as never, {
    tenantId: reg.tenant.id,
    keyId: 'bench',
    scopes: ['admin'],
    name: 'bench',
  });
  const put = () =>
    putAudit(reg.tenant.id, auditEvent(auditCtx, 'token.read', { type: 'token', id: token.id }));
  // The pre-audit handler: GetToken's chain and read as they were before issue 11 (no audit event,
  // no denied-attempt middleware). Benchmark only: the product has no switch for this.
  const { audit: _audit, ...preAuditDef } = tokenRoutes.getToken;
  const preAudit = route(preAuditDef as typeof tokenRoutes.getToken, async ({ auth, params }) =>
    ok(await withSecrets(await getFreshToken(auth.tenantId, params.id))),
  );

  const samples = {
    handler: [] as number[],
    preAudit: [] as number[],
    get: [] as number[],
    put: [] as number[],
    getPut: [] as number[],
    getGet: [] as number[],
  };
  const time = async (fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  const bcryptBefore = authStats.bcryptCompares;
  const keyCallsBefore = keyCalls;
  for (let i = 0; i < WARMUP + N; i++) {
    const round = {
      handler: await time(async () => {
        const res = await handler(event(), context);
        if (res.statusCode !== 200) throw new Error(`GET returned ${res.statusCode}: ${res.body}`);
      }),
      get: await time(() => ddb.send(bare)),
      preAudit: await time(async () => {
        const res = await preAudit(event(), context);
        if (res.statusCode !== 200) throw new Error(`GET returned ${res.statusCode}: ${res.body}`);
      }),
      put: await time(put),
      getPut: await time(() => Promise.all([ddb.send(bare), put()])),
      getGet: await time(() => Promise.all([ddb.send(bare), ddb.send(bare)])),
    };
    if (i >= WARMUP) for (const [k, v] of Object.entries(round)) samples[k as keyof typeof samples].push(v);
  }
  const viaHandler = samples.handler;
  const viaGetItem = samples.get;
  const bcrypts = authStats.bcryptCompares - bcryptBefore;
  const kmsCalls = keyCalls - keyCallsBefore;

  const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
  };
  const f = (ms: number) => `${ms.toFixed(2)} ms`;
  // Each round calls the handler twice (with and without the audit event).
  const total = 2 * (WARMUP + N);
  console.log(
    `GET /v1/tokens/{id}, ${N} warm requests (after ${WARMUP} warm-up), DynamoDB Local, Node ${process.version}`,
  );
  console.log(`  full handler  p50 ${f(pct(viaHandler, 50))}  p99 ${f(pct(viaHandler, 99))}`);
  console.log(`  bare GetItem  p50 ${f(pct(viaGetItem, 50))}  p99 ${f(pct(viaGetItem, 99))}`);
  const inProcessRatio = pct(viaHandler, 50) / pct(viaGetItem, 50);
  console.log(
    `  ratio         p50 ${inProcessRatio.toFixed(2)}  p99 ${(pct(viaHandler, 99) / pct(viaGetItem, 99)).toFixed(2)}  (target p50 ≤ ${IN_PROCESS_TARGET})`,
  );
  const p50 = (xs: number[]) => pct(xs, 50);
  console.log(
    `  DynamoDB Local alone, p50: GetItem ${f(p50(samples.get))}, PutItem ${f(p50(samples.put))}, GetItem || PutItem ${f(p50(samples.getPut))}, GetItem || GetItem ${f(p50(samples.getGet))}`,
  );
  console.log(
    `    (parallel / slower alone: Get||Put ${(p50(samples.getPut) / Math.max(p50(samples.get), p50(samples.put))).toFixed(2)}, Get||Get ${(p50(samples.getGet) / p50(samples.get)).toFixed(2)}; 1.00 = fully overlapped, 2.00 = served one after the other)`,
  );
  console.log(
    `  floor of the audited read = p50(GetItem || PutItem) ${f(p50(samples.getPut))}: ratio handler / it, p50 ${(p50(viaHandler) / p50(samples.getPut)).toFixed(2)}`,
  );
  console.log(
    `  pre-audit handler p50 ${f(p50(samples.preAudit))} (ratio to bare GetItem ${(p50(samples.preAudit) / p50(samples.get)).toFixed(2)}); p50 growth from the audit event: ${((p50(viaHandler) / p50(samples.preAudit) - 1) * 100).toFixed(0)}% (issue 11: ≤ 15%)`,
  );
  console.log(
    `  bcrypt compares: ${bcrypts} in ${total} requests (${((bcrypts * 1000) / total).toFixed(2)} per 1,000)`,
  );
  console.log(
    `  key-provider (KMS) calls: ${kmsCalls} in ${total} requests (${((kmsCalls * 1000) / total).toFixed(2)} per 1,000)`,
  );

  // 2. Over HTTP.
  server = spawn(process.execPath, ['--import', 'tsx', 'bench/http-server.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    server?.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    server?.once('exit', (code) => reject(new Error(`local server exited (${code})`)));
  });
  // One kept-alive connection, as an SDK would hold.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string, headers: Record<string, string> = {}) =>
    new Promise<number>((resolve, reject) => {
      const t = performance.now();
      request(`${url}${path}`, { agent, headers }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`${path} returned ${res.statusCode}`));
          else resolve(performance.now() - t);
        });
      })
        .on('error', reject)
        .end();
    });
  const auth = { authorization: `Bearer ${reg.api_key}` };
  const http = {
    token: [] as number[],
    health: [] as number[],
    getItem: [] as number[],
    getPut: [] as number[],
  };
  for (let i = 0; i < WARMUP + N; i++) {
    const tt = await get(`/v1/tokens/${token.id}`, auth);
    const th = await get('/health');
    const t = performance.now();
    await ddb.send(bare);
    const tg = performance.now() - t;
    const tgp = await time(() => Promise.all([ddb.send(bare), put()]));
    if (i >= WARMUP) {
      http.token.push(tt);
      http.health.push(th);
      http.getItem.push(tg);
      http.getPut.push(tgp);
    }
  }
  agent.destroy();
  const floor = pct(http.health, 50) + pct(http.getItem, 50);
  console.log(
    `\nGET /v1/tokens/{id} over HTTP, local server (npm start's, own process, jobs off), ${N} warm requests (after ${WARMUP} warm-up), keep-alive`,
  );
  console.log(`  GET /v1/tokens/{id}  p50 ${f(pct(http.token, 50))}  p99 ${f(pct(http.token, 99))}`);
  console.log(`  GET /health          p50 ${f(pct(http.health, 50))}  p99 ${f(pct(http.health, 99))}`);
  console.log(`  bare GetItem         p50 ${f(pct(http.getItem, 50))}  p99 ${f(pct(http.getItem, 99))}`);
  console.log(`  GetItem || PutItem   p50 ${f(pct(http.getPut, 50))}  p99 ${f(pct(http.getPut, 99))}`);
  const auditFloor = pct(http.health, 50) + pct(http.getPut, 50);
  console.log(
    `  issue-10 floor = p50(GET /health) + p50(bare GetItem) = ${f(floor)}: what any authenticated read over this server pays`,
  );
  console.log(
    `  audited floor  = p50(GET /health) + p50(GetItem || PutItem) = ${f(auditFloor)}: what a read that records its audit event pays`,
  );
  console.log(
    `  ratio GET / issue-10 floor, p50: ${(pct(http.token, 50) / floor).toFixed(2)} (target ≤ ${HTTP_TARGET}); GET / audited floor: ${(pct(http.token, 50) / auditFloor).toFixed(2)}`,
  );
  console.log(
    `  in process: GET / bare GetItem ${inProcessRatio.toFixed(2)} (target ≤ ${IN_PROCESS_TARGET}); GET / (GetItem || PutItem) ${(pct(viaHandler, 50) / pct(samples.getPut, 50)).toFixed(2)}`,
  );
} finally {
  server?.kill('SIGTERM');
  await dynamo.stop();
}
