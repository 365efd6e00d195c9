// `npm run bench`, the proxy: a warm proxied call (token chosen by Vault-Connection-Key, auth cache
// on) against the sum of its two parts measured in the same run: a direct call to the same local
// HTTPS upstream, and a warm GET /v1/tokens/{id}. Interleaved, so all three see the same noise.
// Handlers are invoked as Lambda would (buffered responses), against DynamoDB Local.
import { performance } from 'node:perf_hooks';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import * as undici from 'undici';
import { startUpstream } from '../test/helpers/upstream.js';
import { N, seedBenchToken, startBench, WARMUP } from './setup.js';

const TARGET = 1.1;

const dynamo = await startBench();
// A provider API on 127.0.0.1 over HTTPS (certificate made now, trusted by this process).
const upstream = await startUpstream();
upstream.respond = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"id":"me","name":"Bench User"}');
};

try {
  const { dynamoClient, tableName } = await import('../lib/aws.js');
  const { ensureTable } = await import('../local/table.js');
  const { createOAuthApp } = await import('../lib/providers/apps.js');
  const { systemContext } = await import('../lib/audit/service.js');
  const getToken = (await import('../functions/tokens/get.js')).handler;
  const proxy = (await import('../functions/proxy/proxy.js')).handler;
  await ensureTable(dynamoClient, tableName);

  const { reg, token } = await seedBenchToken();
  // The tenant's Google app points the proxy at the local upstream instead of www.googleapis.com.
  await createOAuthApp(
    reg.tenant.id,
    {
      provider: 'google',
      client_id: 'bench',
      client_secret: 'bench-secret',
      redirect_urls: ['https://app.example.com/oauth'],
      api_base_url: upstream.url,
    },
    systemContext('Bench'),
  );

  const context = {
    awsRequestId: 'bench',
    functionName: 'Bench',
    getRemainingTimeInMillis: () => 10_000,
  } as Context;
  const event = (
    method: string,
    path: string,
    headers: Record<string, string>,
    params: Record<string, string>,
  ) =>
    ({
      version: '2.0',
      routeKey: 'bench',
      rawPath: path,
      rawQueryString: '',
      headers: { authorization: `Bearer ${reg.api_key}`, ...headers },
      pathParameters: params,
      requestContext: { requestId: 'bench', http: { method, path } },
      isBase64Encoded: false,
    }) as unknown as APIGatewayProxyEventV2;
  const getEvent = () => event('GET', `/v1/tokens/${token.id}`, {}, { id: token.id });
  const proxyEvent = () =>
    event(
      'GET',
      '/v1/proxy/google/oauth2/v3/userinfo',
      { 'vault-connection-key': 'bench-user' },
      {
        provider: 'google',
        path: 'oauth2/v3/userinfo',
      },
    );
  // The direct call: what an app holding the token would do, over a kept-alive connection.
  const agent = new undici.Agent();
  const direct = async () => {
    const res = await undici.fetch(`${upstream.url}/oauth2/v3/userinfo`, {
      headers: { authorization: 'Bearer ya29.bench-access-token' },
      dispatcher: agent,
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`direct call returned ${res.status}`);
  };

  const times = { proxy: [] as number[], direct: [] as number[], get: [] as number[] };
  for (let i = 0; i < WARMUP + N; i++) {
    let t = performance.now();
    const p = await proxy(proxyEvent(), context);
    const tp = performance.now() - t;
    if (p.statusCode !== 200) throw new Error(`proxy returned ${p.statusCode}: ${p.body}`);
    t = performance.now();
    await direct();
    const td = performance.now() - t;
    t = performance.now();
    const g = await getToken(getEvent(), context);
    const tg = performance.now() - t;
    if (g.statusCode !== 200) throw new Error(`GET returned ${g.statusCode}`);
    upstream.received.length = 0;
    if (i >= WARMUP) {
      times.proxy.push(tp);
      times.direct.push(td);
      times.get.push(tg);
    }
  }
  const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
  };
  const f = (ms: number) => `${ms.toFixed(2)} ms`;
  const sum = pct(times.direct, 50) + pct(times.get, 50);
  const ratio = pct(times.proxy, 50) / sum;
  console.log(
    `\nProxy, ${N} warm calls (after ${WARMUP} warm-up), token by Vault-Connection-Key, local HTTPS upstream, DynamoDB Local, Node ${process.version}`,
  );
  console.log(`  proxied call          p50 ${f(pct(times.proxy, 50))}  p99 ${f(pct(times.proxy, 99))}`);
  console.log(`  direct call           p50 ${f(pct(times.direct, 50))}  p99 ${f(pct(times.direct, 99))}`);
  console.log(`  GET /v1/tokens/{id}   p50 ${f(pct(times.get, 50))}  p99 ${f(pct(times.get, 99))}`);
  console.log(`  proxied / (direct + GET), p50: ${ratio.toFixed(2)} (target ≤ ${TARGET})`);
  await agent.close();
} finally {
  await upstream.close();
  await dynamo.stop();
}
