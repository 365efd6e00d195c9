import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// `npm start` as a real child process: `tsx local/server.ts`, run on the project's node (the
// `node` package's binary in node_modules/.bin, first on PATH), in its own process group so a test
// can signal or kill the whole tree (tsx, the node it starts, and a DynamoDB Local jar) at once.

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const binDir = join(root, 'node_modules', '.bin');

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited and its output is drained. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  /** Resolves with the first match of `re` in stdout; rejects on timeout or if the process exits first. */
  waitForStdout(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Sends a signal to the tsx process only (`kill -INT <pid>`), or to its whole group (Ctrl-C in a terminal). */
  signal(sig: NodeJS.Signals, opts?: { group?: boolean }): void;
  /** SIGKILLs the whole process group (if anything is left in it) and waits for the exit. */
  kill(): Promise<void>;
}

const spawned = new Set<ServerProcess>();

/** Environment for the child: the worker's, without what vitest and test/setup/env.ts added. */
export function baseEnv(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('VITEST') || k === 'NODE_ENV' || k === 'TEST') continue;
    if (['DYNAMODB_ENDPOINT', 'TABLE_NAME', 'VAULT_HOME', 'POWERTOOLS_LOG_LEVEL'].includes(k)) continue;
    env[k] = v;
  }
  env.PATH = `${binDir}:${process.env.PATH ?? ''}`;
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs `tsx local/server.ts` (what `npm start` runs) with exactly `env`. */
export function spawnServer(env: NodeJS.ProcessEnv): ServerProcess {
  const child = spawn(join(binDir, 'tsx'), ['local/server.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) => {
    child.once('close', (code, signal) => {
      done = true;
      ok({ code, signal });
    });
    child.once('error', () => {
      done = true;
      ok({ code: null, signal: null });
    });
  });
  const pid = child.pid ?? -1;

  const proc: ServerProcess = {
    child,
    pid,
    stdout: () => out,
    stderr: () => err,
    exited,
    hasExited: () => done,
    async waitForStdout(re, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = re.exec(out);
        if (m) return m;
        if (done || Date.now() > deadline) {
          throw new Error(
            `${done ? 'server exited' : 'timed out'} before printing ${re}\n--- stdout ---\n${out}\n--- stderr ---\n${err}`,
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    signal(sig, opts = {}) {
      process.kill(opts.group ? -pid : pid, sig);
    },
    async kill() {
      try {
        // The group outlives its leader: a jar or the node under tsx may still be in it.
        process.kill(-pid, 'SIGKILL');
      } catch {
        // ESRCH: nothing left in the group.
      }
      await exited;
      spawned.delete(proc);
    },
  };
  spawned.add(proc);
  return proc;
}

/** Kills every process group spawned by spawnServer and not yet killed (for afterEach/afterAll). */
export async function killAll(): Promise<void> {
  await Promise.all([...spawned].map((p) => p.kill()));
}

/** A port nothing listens on right now: taken from the OS on 127.0.0.1, then released. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => ok(port));
    });
  });
}

/** One HTTP call to a spawned server at `base`; `body` is the parsed JSON, or the text if not JSON. */
export async function callServer(
  base: string,
  method: string,
  path: string,
  opts: { key?: string; body?: unknown } = {},
) {
  const headers: Record<string, string> = {};
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: tests assert on response bodies of every shape
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, text };
}
