import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

// Runs the official DynamoDB Local jar (shipped inside the npm package amplify-dynamodb-simulator; only the
// jar is used, not that package's JS) as a child process.
//
// Note: the jar has no option to choose the listen address; it listens on all interfaces. We only ever
// connect through 127.0.0.1.

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export class JavaMissingError extends Error {
  override name = 'JavaMissingError';
}

const PACKAGE = 'amplify-dynamodb-simulator';
const MIN_JAVA = 17;
const START_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 100;
const STOP_GRACE_MS = 5_000;
const TAIL_LINES = 50;

/** A client for DynamoDB Local: it accepts any credentials, but the SDK insists on having some. */
export function localDynamoDbClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

function emulatorDir(): string {
  let packageDir: string | undefined;
  try {
    packageDir = dirname(createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`));
  } catch {
    // Blocked by an `exports` map, or an unusual layout: look for node_modules ourselves.
    for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', PACKAGE);
      if (existsSync(candidate)) {
        packageDir = candidate;
        break;
      }
      if (dirname(dir) === dir) break;
    }
  }
  const emulator = packageDir && join(packageDir, 'emulator');
  if (!emulator || !existsSync(join(emulator, 'DynamoDBLocal.jar'))) {
    throw new Error(`DynamoDB Local jar not found: is the npm package ${PACKAGE} installed (npm install)?`);
  }
  return emulator;
}

const javaMissingMessage = (found: string) =>
  `DynamoDB Local needs Java ${MIN_JAVA} or newer (${found}; install it, e.g. "apt-get install openjdk-17-jre-headless"), or set DYNAMODB_ENDPOINT to an existing DynamoDB.`;

function checkJava(): void {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8', timeout: 15_000 });
  if (result.error || result.status !== 0)
    throw new JavaMissingError(javaMissingMessage('no working "java" found'));
  // `java -version` prints to stderr: `openjdk version "17.0.15" ...` or, for Java 8, `java version "1.8.0_392"`.
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}\n${result.stdout}`);
  if (!match) throw new JavaMissingError(javaMissingMessage('cannot tell the version of "java"'));
  let major = Number(match[1]);
  if (major === 1) major = Number(match[2] ?? 0);
  if (major < MIN_JAVA) throw new JavaMissingError(javaMissingMessage(`found Java ${major}`));
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const chosen = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolvePort(chosen));
    });
  });
}

async function choosePort(requested: number | undefined): Promise<number> {
  if (requested === undefined) return listenOnce(0);
  try {
    return await listenOnce(requested);
  } catch (err) {
    // Otherwise we would happily poll, and then use, whatever else answers on that port.
    throw new Error(`Cannot start DynamoDB Local on port ${requested}: ${(err as Error).message}`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startDynamoDbLocal(
  opts: { inMemory?: boolean; dbPath?: string; port?: number } = {},
): Promise<DynamoDbLocal> {
  if (opts.inMemory && opts.dbPath)
    throw new Error('startDynamoDbLocal: inMemory and dbPath exclude each other');
  checkJava();
  const cwd = emulatorDir();
  const port = await choosePort(opts.port);

  // -sharedDb: one database for every access key and region, so clients need not agree on either (without
  // it, each credential/region pair silently gets its own set of tables).
  const args = ['-Djava.library.path=./DynamoDBLocal_lib', '-jar', 'DynamoDBLocal.jar'];
  args.push('-port', String(port), '-sharedDb', '-disableTelemetry');
  if (opts.dbPath) {
    const dbPath = resolve(opts.dbPath);
    mkdirSync(dbPath, { recursive: true, mode: 0o700 });
    args.push('-dbPath', dbPath);
  } else {
    args.push('-inMemory');
  }

  const child = spawn('java', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const capture = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split(/\r?\n/)) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    }
  };
  child.stdout?.on('data', capture);
  child.stderr?.on('data', capture);

  let exited = false;
  let spawnError: Error | undefined;
  // 'close' rather than 'exit': it comes once stdout/stderr are drained, so the output tail is complete.
  const exitPromise = new Promise<void>((r) => {
    child.once('close', () => {
      exited = true;
      r();
    });
    child.once('error', (err) => {
      spawnError = err;
      exited = true;
      r();
    });
  });

  // If this process exits without calling stop(), don't leave the JVM behind.
  const killOnExit = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  const endpoint = `http://127.0.0.1:${port}`;
  const fail = (reason: string) => {
    killOnExit();
    process.off('exit', killOnExit);
    const output = tail.length ? `\n--- DynamoDB Local output ---\n${tail.join('\n')}` : '';
    return new Error(`DynamoDB Local did not start: ${reason}${output}`);
  };

  const client = localDynamoDbClient(endpoint);
  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (exited) {
        throw fail(
          spawnError ? spawnError.message : `java exited with code ${child.exitCode ?? child.signalCode}`,
        );
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
        break;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw fail(`no answer on ${endpoint} within ${START_TIMEOUT_MS / 1000} s`);
      await sleep(POLL_INTERVAL_MS);
    }
  } finally {
    client.destroy();
  }

  return {
    endpoint,
    port,
    stop: () => stopChild(child, exitPromise, () => exited).finally(() => process.off('exit', killOnExit)),
  };
}

async function stopChild(child: ChildProcess, exitPromise: Promise<void>, hasExited: () => boolean) {
  if (hasExited()) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), STOP_GRACE_MS);
  });
  const result = await Promise.race([exitPromise, timeout]);
  clearTimeout(timer);
  if (result === 'timeout' && !hasExited()) {
    child.kill('SIGKILL');
    await exitPromise;
  }
}
