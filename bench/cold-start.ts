// `npm run bench`, cold starts: GetToken against a reference handler (bench/reference-handler.ts, one
// GetItem with the same SDK), both bundled as the stack bundles functions (infra/bundling.ts), in one
// run: bundle sizes, and cold init = in a fresh Node process, import the bundle and answer the first
// request (against DynamoDB Local; the local key provider stands in for KMS). Fresh processes
// alternate between the two, so both see the same machine noise; medians of BENCH_COLD_RUNS each.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { esbuildOptions } from '../infra/bundling.js';
import { seedBenchToken, startBench } from './setup.js';

const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 9);
const SIZE_TARGET = 2;
const INIT_TARGET = 1.5;

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);
const dynamo = await startBench();
const outdir = mkdtempSync(join(tmpdir(), 'vault-cold-'));

try {
  const { dynamoClient, tableName } = await import('../lib/aws.js');
  const { ensureTable } = await import('../local/table.js');
  await ensureTable(dynamoClient, tableName);
  const { reg, token } = await seedBenchToken();

  await build(
    esbuildOptions(
      {
        'GetToken/index': join(PROJECT_ROOT, 'functions/tokens/get.ts'),
        'Reference/index': join(PROJECT_ROOT, 'bench/reference-handler.ts'),
        'Sequential/index': join(PROJECT_ROOT, 'bench/get-token-sequential.ts'),
      },
      outdir,
    ),
  );
  const bundles = {
    GetToken: join(outdir, 'GetToken/index.mjs'),
    Reference: join(outdir, 'Reference/index.mjs'),
    Sequential: join(outdir, 'Sequential/index.mjs'),
  };
  const size = { GetToken: statSync(bundles.GetToken).size, Reference: statSync(bundles.Reference).size };

  // What Lambda does on a cold start, timed from inside the fresh process.
  const script = (bundle: string, event: object) => `
    const { performance } = await import('node:perf_hooks');
    const t0 = performance.now();
    const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
    const t1 = performance.now();
    const res = await handler(${JSON.stringify(event)}, { functionName: 'bench', awsRequestId: 'cold',
      getRemainingTimeInMillis: () => 10000 });
    const t2 = performance.now();
    if (res.statusCode !== 200) throw new Error('status ' + res.statusCode);
    process.stdout.write(JSON.stringify({ importMs: t1 - t0, firstMs: t2 - t1 }) + '\\n');
  `;
  const event = (path: string, headers: Record<string, string>, params: Record<string, string>) => ({
    version: '2.0',
    routeKey: 'GET /v1/tokens/{id}',
    rawPath: path,
    rawQueryString: '',
    headers,
    pathParameters: params,
    requestContext: { requestId: 'cold', http: { method: 'GET', path } },
    isBase64Encoded: false,
  });
  // The first request's bcrypt compare alone (cost 10, the key's own hash), in a fresh process too:
  // the part of GetToken's cold init that the reference has no counterpart for and that stays.
  const { getApiKey } = await import('../lib/store/api-keys.js');
  const [, keyId = '', secret = ''] = /^vk_live_([0-9a-z]{16})_(.+)$/.exec(reg.api_key) ?? [];
  const hash = (await getApiKey(keyId))?.secret_hash;
  const bcryptUrl = pathToFileURL(createRequire(import.meta.url).resolve('bcryptjs')).href;
  const bcryptScript = `
    const { performance } = await import('node:perf_hooks');
    const t0 = performance.now();
    const bcrypt = (await import(${JSON.stringify(bcryptUrl)})).default;
    const t1 = performance.now();
    if (!(await bcrypt.compare(${JSON.stringify(secret)}, ${JSON.stringify(hash)}))) throw new Error('no match');
    const t2 = performance.now();
    process.stdout.write(JSON.stringify({ importMs: t1 - t0, firstMs: t2 - t1 }) + '\\n');
  `;
  const scripts = {
    GetToken: script(
      bundles.GetToken,
      event(`/v1/tokens/${token.id}`, { authorization: `Bearer ${reg.api_key}` }, { id: token.id }),
    ),
    Reference: script(bundles.Reference, event('/', {}, { tenant: reg.tenant.id, id: token.id })),
    Sequential: script(
      bundles.Sequential,
      event(`/v1/tokens/${token.id}`, { authorization: `Bearer ${reg.api_key}` }, { id: token.id }),
    ),
    Bcrypt: bcryptScript,
  };
  const env = {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    // As deployed (VaultFunction's NODE_OPTIONS): stack traces through the source map.
    NODE_OPTIONS: '--enable-source-maps',
    DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT,
    TABLE_NAME: process.env.TABLE_NAME,
    VAULT_HOME: process.env.VAULT_HOME,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  type Sample = { importMs: number; firstMs: number };
  type Kind = keyof typeof scripts;
  const samples: Record<Kind, Sample[]> = { GetToken: [], Reference: [], Sequential: [], Bcrypt: [] };
  const coldStart = async (name: Kind) => {
    // BENCH_COLD_PROFILE=<dir>: a CPU profile of each fresh process, to see where its time goes.
    const profile = process.env.BENCH_COLD_PROFILE
      ? [
          '--cpu-prof',
          `--cpu-prof-dir=${process.env.BENCH_COLD_PROFILE}`,
          `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`,
        ]
      : [];
    const { stdout } = await run(process.execPath, [...profile, '--input-type=module', '-e', scripts[name]], {
      env,
      cwd: outdir, // not the project: the bundle must carry everything
    });
    samples[name].push(JSON.parse(stdout.trim().split('\n').pop() as string));
  };
  // One unmeasured pair first: the OS file cache, as a warm Lambda host would have it.
  await coldStart('GetToken');
  await coldStart('Reference');
  samples.GetToken.length = 0;
  samples.Reference.length = 0;
  for (let i = 0; i < RUNS; i++) {
    await coldStart(i % 2 ? 'Reference' : 'GetToken');
    await coldStart(i % 2 ? 'GetToken' : 'Reference');
    await coldStart('Sequential');
    await coldStart('Bcrypt');
  }

  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return (s.length % 2 ? s[m] : ((s[m - 1] as number) + (s[m] as number)) / 2) as number;
  };
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  const stats = (name: Kind) => {
    const xs = samples[name];
    return {
      importMs: median(xs.map((x) => x.importMs)),
      firstMs: median(xs.map((x) => x.firstMs)),
      totalMs: median(xs.map((x) => x.importMs + x.firstMs)),
    };
  };
  const g = stats('GetToken');
  const r = stats('Reference');
  const row = (label: string, s: ReturnType<typeof stats>, bytes: number) =>
    `  ${label.padEnd(10)} bundle ${kb(bytes).padStart(8)}   cold init ${s.totalMs.toFixed(0).padStart(4)} ms (import ${s.importMs.toFixed(0)} ms + first request ${s.firstMs.toFixed(0)} ms)`;
  console.log(
    `\nCold start, ${RUNS} fresh processes each (alternating; medians), bundled as the stack bundles (esbuild, ESM, minified, SDK inside), Node ${process.version}, DynamoDB Local, local key provider for KMS, --enable-source-maps as deployed`,
  );
  console.log(row('GetToken', g, size.GetToken));
  console.log(row('Reference', r, size.Reference));
  console.log(
    `  GetToken / Reference: bundle ${(size.GetToken / size.Reference).toFixed(2)} (target ≤ ${SIZE_TARGET}), cold init ${(g.totalMs / r.totalMs).toFixed(2)} (target ≤ ${INIT_TARGET})`,
  );
  const b = stats('Bcrypt');
  console.log(
    "  (cold init = import the bundle, then the first request; GetToken's includes the API key's bcrypt check and the data key's unwrap)",
  );
  console.log(
    `  of GetToken's first request, one bcrypt compare (cost 10) in a fresh process takes ${b.firstMs.toFixed(0)} ms (median, measured alone); the rest ${(g.firstMs - b.firstMs).toFixed(0)} ms`,
  );
  const q = stats('Sequential');
  console.log(
    `  without the overlap (reads after the compare; bench/get-token-sequential.ts) the first request takes ${q.firstMs.toFixed(0)} ms: the overlap saves ${(q.firstMs - g.firstMs).toFixed(0)} ms`,
  );
  console.log(
    `  GetToken's cold init without that compare would be ${(g.totalMs - b.firstMs).toFixed(0)} ms: ${((g.totalMs - b.firstMs) / r.totalMs).toFixed(2)} × the reference's; import alone ${(g.importMs / r.importMs).toFixed(2)} ×`,
  );
} finally {
  if (!process.env.BENCH_COLD_PROFILE) rmSync(outdir, { recursive: true, force: true });
  await dynamo.stop();
}
