import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import type { VaultRouteDef as RouteDef } from '../../functions/defs.js';
import { jobs, routeList, routes } from '../../functions/routes.js';
import { budgetProblems, bundleSizes, readBudgets } from '../../infra/bundle-sizes.js';
import { esbuildOptions } from '../../infra/bundling.js';
import { ESM_REQUIRE_BANNER, PROJECT_ROOT, VaultFunction } from '../../infra/vault-function.js';

// Really bundles one function (Health) with the local esbuild, offline and without Docker, as
// `cdk synth` does for every function, then runs the bundle on this machine's Node.

const outdir = mkdtempSync(join(tmpdir(), 'vault-bundle-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** Synthesizes one route's function in a stack of its own (bundling it for real); its asset folder. */
function bundleRoute(def: RouteDef, stackName: string): string {
  const app = new App({ outdir: join(outdir, stackName) });
  const stack = new Stack(app, stackName);
  new VaultFunction(stack, def.id, {
    entry: def.entry,
    functionName: `bundle-test-${def.id}`,
    access: def.access,
    authenticated: false,
    targets: {
      tableArn: 'arn:aws:dynamodb:eu-west-1:111122223333:table/t',
      keyArn: 'arn:aws:kms:eu-west-1:111122223333:key/k',
      queueArn: 'arn:aws:sqs:eu-west-1:111122223333:q',
      dynamoDbService: 'dynamodb.eu-west-1.amazonaws.com',
    },
    environment: {},
    timeout: Duration.seconds(10),
    logRetention: logs.RetentionDays.ONE_DAY,
    removalPolicy: RemovalPolicy.DESTROY,
    assets: def.assets,
  });
  const assembly = app.synth();
  const manifest = JSON.parse(readFileSync(join(assembly.directory, `${stackName}.assets.json`), 'utf8'));
  const zips = Object.values(
    manifest.files as Record<string, { source: { path: string; packaging?: string } }>,
  )
    .map((f) => f.source)
    .filter((src) => src.packaging === 'zip');
  expect(zips).toHaveLength(1);
  return join(assembly.directory, zips[0]?.path as string);
}

describe('bundling', () => {
  it('bundles a route handler into a minified ESM file with a source map, which runs', {
    timeout: 60_000,
  }, async () => {
    // Act
    const assetDir = bundleRoute(routes.health, 'Bundle');
    const bundle = join(assetDir, 'index.mjs');

    // Assess
    expect(existsSync(bundle)).toBe(true);
    expect(existsSync(`${bundle}.map`)).toBe(true);
    const code = readFileSync(bundle, 'utf8');
    expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
    expect(code.length / code.split('\n').length).toBeGreaterThan(1000); // minified: long lines

    // Act: esbuild run directly with infra/bundling.ts's options (budgets, benchmark).
    const direct = await build({
      ...esbuildOptions({ 'Health/index': join(PROJECT_ROOT, routes.health.entry) }, join(outdir, 'direct')),
      write: false,
    });
    const directCode = direct.outputFiles.find((f) => f.path.endsWith('index.mjs'))?.text;

    // Assess: the same bundle.
    expect(directCode).toBe(code);

    // Act: run it as Lambda would: import the ESM bundle, call `handler` with an HTTP API (v2) event.
    const script = `
      const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
      const event = {
        version: '2.0', routeKey: 'GET /health', rawPath: '/health', rawQueryString: '', headers: {},
        requestContext: { http: { method: 'GET', path: '/health', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 't' },
          requestId: 'r1', routeKey: 'GET /health', stage: '$default', accountId: '1', apiId: 'a', domainName: 'd', domainPrefix: 'd', time: '', timeEpoch: 0 },
        isBase64Encoded: false,
      };
      const context = { functionName: 'f', functionVersion: '1', invokedFunctionArn: 'arn', memoryLimitInMB: '512',
        awsRequestId: 'r1', logGroupName: 'g', logStreamName: 's', getRemainingTimeInMillis: () => 10000 };
      const res = await handler(event, context);
      process.stdout.write('RESULT ' + JSON.stringify(res) + '\\n');
    `;
    const env = {
      PATH: process.env.PATH,
      KMS_KEY_ID: 'arn:aws:kms:eu-west-1:111122223333:key/k',
      AWS_REGION: 'eu-west-1',
    };
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env,
      encoding: 'utf8',
    });
    const line = out.split('\n').find((l) => l.startsWith('RESULT ')) as string;
    const res = JSON.parse(line.slice('RESULT '.length));

    // Assess
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
  });

  it('builds the dashboard before bundling the function that serves it, and ships its files beside the bundle', {
    timeout: 60_000,
  }, () => {
    // Act
    const assetDir = bundleRoute(routes.dashboardAsset, 'BundleDashboard');
    const built = readFileSync(join(assetDir, 'app.js'), 'utf8');

    // Assess
    expect(built.length).toBeGreaterThan(10_000);
    expect(existsSync(join(assetDir, 'app.css'))).toBe(true);

    // Act: the bundled handler serves the file beside it.
    const bundle = join(assetDir, 'index.mjs');
    const script = `
      const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
      const event = {
        version: '2.0', routeKey: 'GET /dashboard/{file}', rawPath: '/dashboard/app.js', rawQueryString: '', headers: {},
        pathParameters: { file: 'app.js' },
        requestContext: { http: { method: 'GET', path: '/dashboard/app.js', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 't' },
          requestId: 'r1', routeKey: 'GET /dashboard/{file}', stage: '$default', accountId: '1', apiId: 'a', domainName: 'd', domainPrefix: 'd', time: '', timeEpoch: 0 },
        isBase64Encoded: false,
      };
      const context = { functionName: 'f', functionVersion: '1', invokedFunctionArn: 'arn', memoryLimitInMB: '512',
        awsRequestId: 'r1', logGroupName: 'g', logStreamName: 's', getRemainingTimeInMillis: () => 10000 };
      const res = await handler(event, context);
      process.stdout.write('RESULT ' + JSON.stringify(res) + '\\n');
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        PATH: process.env.PATH,
        KMS_KEY_ID: 'arn:aws:kms:eu-west-1:111122223333:key/k',
        AWS_REGION: 'eu-west-1',
      },
      encoding: 'utf8',
      cwd: tmpdir(), // not the project: the file must come from beside the bundle
      maxBuffer: 10 * 1024 * 1024,
    });
    const line = out.split('\n').find((l) => l.startsWith('RESULT ')) as string;
    const res = JSON.parse(line.slice('RESULT '.length));

    // Assess
    expect(res.statusCode).toBe(200);
    expect(res.headers['Content-Type']).toMatch(/^text\/javascript/);
    expect(res.body).toBe(built);
  });

  it('keeps every function bundle within its budget (infra/bundle-budgets.json)', {
    timeout: 300_000,
  }, async () => {
    // Prepare
    const fns = [...routeList, ...jobs];

    // Act
    const sizes = await bundleSizes(fns);

    // Assess
    expect(Object.keys(sizes).sort()).toEqual(fns.map((f) => f.id).sort());
    expect(budgetProblems(sizes, readBudgets().budgets)).toEqual([]);
  });

  it('finds a bundle over its budget, a function without one, and a budget for no function', () => {
    // Act
    const problems = budgetProblems({ A: 1001, B: 10, C: 5 }, { A: 1000, B: 10, Gone: 1 });

    // Assess
    expect(problems).toEqual([
      'A: 1001 bytes, over its budget of 1000',
      'C: no budget (run `npm run bundle-budgets`)',
      'Gone: a budget for a function that does not exist',
    ]);
  });
});
