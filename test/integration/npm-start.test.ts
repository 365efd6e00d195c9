import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { localDynamoDbClient } from '../../local/dynamodb-local.js';
import {
  baseEnv,
  binDir,
  callServer,
  freePort,
  killAll,
  type ServerProcess,
  spawnServer,
} from '../helpers/process.js';
import { type Receiver, startReceiver, waitFor } from '../helpers/receiver.js';

// `npm start` as a user runs it: `tsx local/server.ts` in a child process, on the project's node,
// talked to over loopback HTTP. Its own DynamoDB Local under VAULT_HOME (start, stop, restart with
// the data kept), the one-line refusal without Java 17, and a crash (SIGKILL) while a webhook
// delivery waits for its retry.

const LISTENING = /Token vault listening on (http:\/\/127\.0\.0\.1:\d+)/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const tempDirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
};
const receivers: Receiver[] = [];
const tables: string[] = [];

afterEach(async () => {
  await killAll();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

afterAll(async () => {
  await killAll();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  const client = localDynamoDbClient(inject('dynamodbEndpoint'));
  try {
    for (const TableName of tables) await client.send(new DeleteTableCommand({ TableName })).catch(() => {});
  } finally {
    client.destroy();
  }
});

const call = callServer;

/** Waits for the exit; 'timeout' if it takes longer than `ms`. */
async function exitWithin(p: ServerProcess, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    p.exited,
    new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), ms);
    }),
  ]);
  clearTimeout(timer);
  return result;
}

/** Command lines of the DynamoDB Local jars whose data lives under `home`. */
function jarsFor(home: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return ps
    .split('\n')
    .filter((line) => line.includes('DynamoDBLocal.jar') && line.includes(join(home, 'dynamodb')));
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(2_000);
    socket.once('connect', () => {
      socket.destroy();
      ok(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      ok(false);
    });
    socket.once('error', () => ok(false));
  });
}

const diagnostics = (p: ServerProcess) => `--- stdout ---\n${p.stdout()}\n--- stderr ---\n${p.stderr()}`;

describe('npm start with its own DynamoDB Local', () => {
  it('serves, stops cleanly on SIGINT, and keeps its data across a restart', {
    timeout: 90_000,
  }, async () => {
    // Prepare
    const home = tempDir('npm-start-home-');
    const email = `npm-start-${process.pid}-${Date.now()}@example.com`;
    const start = async () => {
      const port = await freePort();
      const server = spawnServer(
        baseEnv({ VAULT_HOME: home, PORT: String(port), POWERTOOLS_LOG_LEVEL: 'ERROR' }),
      );
      const [, url] = await server.waitForStdout(LISTENING, 60_000);
      expect(url).toBe(`http://127.0.0.1:${port}`);
      return { server, url: url as string };
    };

    // Act: first run: a fresh VAULT_HOME.
    const first = await start();
    const health = await call(first.url, 'GET', '/health');

    // Assess
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
    // The dashboard is built at start: no separate build step before `npm start`.
    expect((await call(first.url, 'GET', '/dashboard')).status).toBe(200);
    const appJs = await call(first.url, 'GET', '/dashboard/app.js');
    expect(appJs.status).toBe(200);
    expect(appJs.text.length).toBeGreaterThan(10_000);

    // Act
    const registered = await call(first.url, 'POST', '/v1/auth/register', {
      body: { email, name: 'Laptop' },
    });

    // Assess
    expect(registered.status, registered.text).toBe(201);

    // Act
    const jars = jarsFor(home);

    // Assess
    expect(jars, 'one DynamoDB Local with its data under VAULT_HOME').toHaveLength(1);
    const jarPort = Number(/-port (\d+)/.exec(jars[0] ?? '')?.[1]);
    expect(await portOpen(jarPort)).toBe(true);

    // Act
    // `kill -INT <pid>`: the server must stop its jar itself.
    const sentAt = Date.now();
    first.server.signal('SIGINT');
    const exit = await exitWithin(first.server, 15_000);

    // Assess
    expect(exit, diagnostics(first.server)).toEqual({ code: 0, signal: null });
    expect(Date.now() - sentAt).toBeLessThan(10_000);
    expect(jarsFor(home), 'no DynamoDB Local left running').toEqual([]);
    expect(await portOpen(jarPort)).toBe(false);
    await first.server.kill();

    // Act: second run on the same VAULT_HOME: the tenant is still there.
    const second = await start();
    const again = await call(second.url, 'POST', '/v1/auth/register', { body: { email, name: 'Laptop' } });

    // Assess
    expect(again.status, again.text).toBe(409);
    expect(statSync(join(home, 'master.key')).mode & 0o777).toBe(0o600);

    // Act: ctrl-C in a terminal: SIGINT to the whole foreground process group, the jar included.
    second.server.signal('SIGINT', { group: true });
    const exit2 = await exitWithin(second.server, 15_000);

    // Assess
    expect(exit2, diagnostics(second.server)).toEqual({ code: 0, signal: null });
    expect(jarsFor(home)).toEqual([]);
  });
});

describe('npm start without Java 17', () => {
  const cases: { label: string; javaStderr?: string; names: RegExp }[] = [
    { label: 'no java on PATH', names: /no working "java"/ },
    { label: 'Java 11', javaStderr: 'openjdk version "11.0.2" 2019-01-15', names: /Java 11\b/ },
    { label: 'Java 8 (1.8)', javaStderr: 'java version "1.8.0_392"', names: /Java 8\b/ },
  ];

  it.each(cases)('refuses in one line: $label', { timeout: 90_000 }, async ({ javaStderr, names }) => {
    // Prepare
    const pathDir = tempDir('npm-start-path-');
    if (javaStderr) {
      writeFileSync(join(pathDir, 'java'), `#!/bin/sh\necho '${javaStderr}' >&2\n`);
      chmodSync(join(pathDir, 'java'), 0o755);
    }
    const home = tempDir('npm-start-nojava-');

    // Act
    const server = spawnServer({
      HOME: process.env.HOME,
      VAULT_HOME: home,
      PORT: String(await freePort()),
      PATH: `${pathDir}:${binDir}`,
    });
    const exit = await exitWithin(server, 15_000);

    // Assess
    expect(exit, diagnostics(server)).toEqual({ code: 1, signal: null });

    const lines = `${server.stderr()}\n${server.stdout()}`.split('\n').filter((l) => l.trim() !== '');
    expect(lines, diagnostics(server)).toHaveLength(1);
    expect(server.stderr()).toContain(lines[0]);
    expect(lines[0]).toMatch(/Java 17/);
    expect(lines[0]).toMatch(/DYNAMODB_ENDPOINT/);
    expect(lines[0]).toMatch(names);
    expect(existsSync(join(home, 'dynamodb')), 'nothing started, nothing created').toBe(false);
  });
});

describe('a crash of npm start while a webhook delivery waits for its retry', () => {
  it('loses nothing: the restarted server makes the retry', { timeout: 90_000 }, async () => {
    // Prepare: its own table on the test run's DynamoDB Local: other test files' in-process sweepers work on the
    // shared table, and would make (or be handed) this delivery's retry while this server is down.
    const tableName = `npm-start-${randomUUID()}`;
    tables.push(tableName);
    const home = tempDir('npm-start-crash-');
    const env = async () =>
      baseEnv({
        VAULT_HOME: home,
        PORT: String(await freePort()),
        DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'),
        TABLE_NAME: tableName,
        WEBHOOK_RETRY_SCHEDULE: '2,2',
        WEBHOOK_SWEEP_SECONDS: '1',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      });
    const receiver = await startReceiver((_req, n) => (n === 1 ? 500 : 200));
    receivers.push(receiver);

    // Act: the first server delivers, the receiver answers 500, the retry is scheduled.
    const first = spawnServer(await env());
    const [, url1 = ''] = await first.waitForStdout(LISTENING, 60_000);
    const reg = await call(url1, 'POST', '/v1/auth/register', {
      body: { email: `crash-${process.pid}-${Date.now()}@example.com`, name: 'Crash' },
    });

    // Assess
    expect(reg.status, reg.text).toBe(201);
    const key: string = reg.body.api_key;

    // Act
    const hook = await call(url1, 'POST', '/v1/webhooks', {
      key,
      body: { url: receiver.url, events: ['token.created'] },
    });

    // Assess
    expect(hook.status, hook.text).toBe(201);
    const { id: hookId, secret } = hook.body as { id: string; secret: string };

    // Act
    const token = await call(url1, 'POST', '/v1/tokens', {
      key,
      body: { provider: 'github', key: 'u-crash', access_token: 'gho_secret' },
    });

    // Assess
    expect(token.status, token.text).toBe(201);

    // Act
    const latest = async (base: string) =>
      (await call(base, 'GET', `/v1/webhooks/${hookId}/deliveries`, { key })).body?.data?.[0];
    await waitFor(() => (receiver.received.length >= 1 ? true : undefined), 15_000, 'the first delivery');
    // The 500 is recorded and the retry scheduled (a kill mid-attempt would hold the lease for a minute).
    const waiting = await waitFor(
      async () => {
        const d = await latest(url1);
        return d?.attempts === 1 ? d : undefined;
      },
      10_000,
      'the first attempt in the log',
    );

    // Assess
    expect(waiting.status).toBe('pending');

    // Act: the crash: SIGKILL to tsx, the node under it, everything; no shutdown code runs.
    first.signal('SIGKILL', { group: true });

    // Assess
    expect(await exitWithin(first, 5_000), 'tsx and the node under it are all gone').not.toBe('timeout');
    await first.kill();

    // Act
    await sleep(3_000);

    // Assess
    expect(receiver.received, 'nothing delivers while the server is down').toHaveLength(1);

    // Act
    const second = spawnServer(await env());
    const [, url2 = ''] = await second.waitForStdout(LISTENING, 60_000);
    await waitFor(
      () => (receiver.received.length >= 2 ? true : undefined),
      15_000,
      'the retry after restart',
    );
    const done = await waitFor(
      async () => {
        const d = await latest(url2);
        return d?.status === 'succeeded' ? d : undefined;
      },
      10_000,
      'the delivery to succeed',
    );

    // Assess
    expect(done.attempts).toBe(2);
    expect(done.attempt_log.map((a: { status_code: number }) => a.status_code)).toEqual([500, 200]);

    expect(receiver.received).toHaveLength(2);
    const [firstTry, retry] = receiver.received;
    expect(retry?.headers['webhook-id']).toBe(firstTry?.headers['webhook-id']);
    const payload = new Webhook(secret).verify(retry?.body ?? '', retry?.headers as Record<string, string>);
    expect(payload).toMatchObject({ type: 'token.created' });
  });
});
