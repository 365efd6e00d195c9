import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DynamoDbLocal, JavaMissingError, startDynamoDbLocal } from './dynamodb-local.js';

// `npm start`: the whole vault on this machine. DynamoDB Local (data under VAULT_HOME, so a
// restart loses nothing) unless DYNAMODB_ENDPOINT names another DynamoDB; the local key provider
// unless KMS_KEY_ID is set; the route table's handlers over HTTP; the jobs in-process.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface LocalServer {
  url: string;
  close(): Promise<void>;
}

export interface LocalServerOptions {
  port?: number;
  /** Run the scheduled and queue jobs in-process (default true). */
  jobs?: boolean;
}

/**
 * Starts the API on 127.0.0.1. Expects DYNAMODB_ENDPOINT to be set (by `main` or a test) before
 * the first call, since lib/config reads the environment once, at import.
 */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  const [
    { config },
    { dynamoClient },
    { ensureTable },
    { routeList, jobs },
    { createAdapter },
    { registerInvokeJobs, startJobs },
  ] = await Promise.all([
    import('../lib/config.js'),
    import('../lib/aws.js'),
    import('./table.js'),
    import('../functions/routes.js'),
    import('./adapter.js'),
    import('./jobs.js'),
  ]);
  await ensureTable(dynamoClient, config.TABLE_NAME);
  // The dashboard's assets are built from source at start (esbuild, well under a second), so a fresh
  // clone's `npm start` serves /dashboard with no separate build step.
  await (await import('../dashboard/build.js')).buildDashboard();
  await registerInvokeJobs(root, jobs);

  const handle = createAdapter({ root, routes: routeList, corsOrigins: config.CORS_ORIGINS });
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // The handlers' own middleware answers every error; this is the adapter failing.
      console.error('local server error:', (err as Error).message);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500 }));
    });
  });
  // Keep-alive clients (benchmarks, SDKs) reuse connections, as they would with API Gateway.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? config.PORT, '127.0.0.1', ok);
  });
  const stopJobs =
    options.jobs === false ? async () => {} : startJobs(root, jobs, config.REFRESH_INTERVAL_SECONDS);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await stopJobs();
      // Let in-process webhook attempts finish and record their outcome (each is bounded by its 10 s timeout).
      await (await import('../lib/webhooks/dispatch.js')).settleInFlight();
      // Counted API calls held in memory (BILLING=stripe) are written before the process goes.
      if (config.BILLING === 'stripe') await (await import('../lib/billing/state.js')).flushAll();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

async function main(): Promise<void> {
  const { applyEnv, config } = await import('../lib/config.js');
  applyEnv({ POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_DEV: 'true' });
  let dynamo: DynamoDbLocal | undefined;
  if (!config.DYNAMODB_ENDPOINT) {
    try {
      dynamo = await startDynamoDbLocal({ dbPath: join(config.VAULT_HOME, 'dynamodb') });
    } catch (err) {
      if (err instanceof JavaMissingError) {
        console.error(err.message);
        process.exit(1);
      }
      throw err;
    }
    applyEnv({ DYNAMODB_ENDPOINT: dynamo.endpoint }, { overwrite: true });
  }

  let server: LocalServer | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    // A second SIGINT (Ctrl-C again, or tsx relaying it) must not cut the shutdown short.
    if (stopping) return;
    stopping = true;
    await server?.close().catch(() => {});
    await dynamo?.stop().catch(() => {});
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    server = await startLocalServer();
  } catch (err) {
    console.error(`Could not start: ${(err as Error).message}`);
    await shutdown(1);
    return;
  }
  const { keyProvider } = await import('../lib/crypto/index.js');
  console.log(`Token vault listening on ${server.url}`);
  console.log(`  docs:     ${server.url}/docs`);
  console.log(`  dashboard: ${server.url}/dashboard`);
  console.log(
    `  storage:  ${dynamo ? `DynamoDB Local (${join(config.VAULT_HOME, 'dynamodb')})` : config.DYNAMODB_ENDPOINT}`,
  );
  console.log(
    `  keys:     ${keyProvider.name === 'kms' ? `AWS KMS ${config.KMS_KEY_ID}` : `local master key in ${config.VAULT_HOME}`}`,
  );
  console.log('Press Ctrl-C to stop.');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
