#!/usr/bin/env node
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  AuthenticationError,
  ConflictError,
  ConnectionError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  ValidationError,
  Vault,
  VaultError,
} from './index.js';

// `vault`: the SDK from a shell. Human tables by default, `--json` for scripts. Secrets (API keys,
// tokens) are printed only when asked for.

const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  auth: 3,
  permission: 4,
  notFound: 5,
  conflict: 6,
  invalid: 7,
  rateLimit: 8,
  unavailable: 9,
};

const HELP = `vault: the token vault from a shell

Usage:
  vault login --url <base URL> [--key <API key>]   (without --key, reads the key from stdin)
  vault tokens ls [--provider P] [--key K] [--limit N]
  vault tokens get <id> [--show-secrets]
  vault tokens put --provider P --key K --access-token T|- [--refresh-token T] [--expires-in S] [--scopes a,b]
  vault tokens rm <id>
  vault tokens refresh <id> [--show-secrets]
  vault connect <provider> --key K [--scopes a,b] [--port 8976 | --redirect-url URL] [--timeout 600]
  vault webhooks ls
  vault webhooks deliveries <webhook id> [--status pending|succeeded|failed|notice]
  vault webhooks retry <webhook id> <delivery id>
  vault keys ls
  vault keys create --name N --scopes a,b          (prints the new key: it is shown once)
  vault keys revoke <id>

Options:
  --json             machine-readable output
  --show-secrets     print token secrets (hidden by default)
  -h, --help         this text

Configuration: \`vault login\` keeps the URL and key in $XDG_CONFIG_HOME/token-vault/config.json
(default ~/.config/token-vault/config.json, mode 0600). VAULT_URL and VAULT_API_KEY override it.

Exit codes:
  0 success          1 other error         2 usage
  3 authentication   4 permission          5 not found
  6 conflict         7 invalid request     8 rate limited
  9 unreachable, or the server failed (5xx)
`;

class UsageError extends Error {}

interface Config {
  url?: string;
  api_key?: string;
}

export const configPath = (env = process.env) =>
  join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'token-vault', 'config.json');

async function readConfig(): Promise<Config> {
  try {
    return JSON.parse(await readFile(configPath(), 'utf8')) as Config;
  } catch {
    return {};
  }
}

async function writeConfig(config: Config): Promise<string> {
  const path = configPath();
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600); // an existing file keeps its old mode otherwise
  return path;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

const SECRET_FIELDS = ['access_token', 'refresh_token', 'api_key', 'secret'];
function redact<T>(value: T, show: boolean): T {
  if (show || value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const f of SECRET_FIELDS) if (copy[f] != null) copy[f] = '(hidden: --show-secrets)';
  return copy as T;
}

function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cell = (v: unknown) =>
    v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : String(v);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((c) => c.toUpperCase())),
    ...rows.map((r) => line(columns.map((c) => cell(r[c])))),
  ].join('\n');
}

function fields(obj: Record<string, unknown>): string {
  const width = Math.max(...Object.keys(obj).map((k) => k.length));
  return Object.entries(obj)
    .map(
      ([k, v]) =>
        `${k.padEnd(width)}  ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`,
    )
    .join('\n');
}

const csv = (s: string | undefined) =>
  s
    ? s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : undefined;

async function main(argv: string[]): Promise<number> {
  const { values: o, positionals: args } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      key: { type: 'string' },
      json: { type: 'boolean', default: false },
      'show-secrets': { type: 'boolean', default: false },
      provider: { type: 'string' },
      limit: { type: 'string' },
      'access-token': { type: 'string' },
      'refresh-token': { type: 'string' },
      'expires-in': { type: 'string' },
      scopes: { type: 'string' },
      name: { type: 'string' },
      status: { type: 'string' },
      port: { type: 'string' },
      'redirect-url': { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [group, sub, ...rest] = args;
  if (o.help || !group || group === 'help') {
    process.stdout.write(HELP);
    return o.help || group === 'help' ? EXIT.ok : EXIT.usage;
  }
  const out = (human: string, data: unknown) =>
    process.stdout.write(`${o.json ? JSON.stringify(data, null, 2) : human}\n`);
  const show = o['show-secrets'] ?? false;

  if (group === 'login') {
    if (!o.url) throw new UsageError('vault login needs --url <base URL>');
    new URL(o.url); // fail on a malformed URL now, not at the first call
    const apiKey = o.key ?? (await readStdin());
    if (!apiKey) throw new UsageError('No API key: pass --key, or pipe it on stdin');
    const path = await writeConfig({ url: o.url, api_key: apiKey });
    out(`Logged in to ${o.url} (saved to ${path})`, { url: o.url, config: path });
    return EXIT.ok;
  }

  const config = await readConfig();
  const baseUrl = process.env.VAULT_URL || config.url;
  const apiKey = process.env.VAULT_API_KEY || config.api_key;
  if (!baseUrl || !apiKey)
    throw new UsageError(
      'Not logged in: run `vault login --url <base URL>` (or set VAULT_URL and VAULT_API_KEY)',
    );
  const vault = new Vault({ baseUrl, apiKey });
  const need = (v: string | undefined, what: string) => {
    if (!v) throw new UsageError(`Missing ${what}`);
    return v;
  };
  const limit = o.limit ? Number(o.limit) : 100;

  switch (`${group} ${group === 'connect' ? '' : (sub ?? '')}`.trim()) {
    case 'tokens ls': {
      const rows = [];
      for await (const t of vault.tokens.list({ provider: o.provider, key: o.key })) {
        rows.push(t);
        if (rows.length >= limit) break;
      }
      out(table(rows, ['id', 'provider', 'key', 'expires_at', 'status']), rows);
      return EXIT.ok;
    }
    case 'tokens get':
    case 'tokens refresh': {
      const id = need(rest[0], 'token id');
      const t = sub === 'get' ? await vault.tokens.get(id) : await vault.tokens.refresh(id);
      const shown = redact(t, show);
      out(fields(shown), shown);
      return EXIT.ok;
    }
    case 'tokens put': {
      let accessToken = need(o['access-token'], '--access-token (or - to read it from stdin)');
      if (accessToken === '-') accessToken = await readStdin();
      const t = await vault.tokens.create({
        provider: need(o.provider, '--provider'),
        key: need(o.key, '--key'),
        access_token: accessToken,
        ...(o['refresh-token'] ? { refresh_token: o['refresh-token'] } : {}),
        ...(o['expires-in'] ? { expires_in: Number(o['expires-in']) } : {}),
        ...(o.scopes ? { scopes: csv(o.scopes) } : {}),
      });
      out(`Stored ${t.id}`, t);
      return EXIT.ok;
    }
    case 'tokens rm': {
      const id = need(rest[0], 'token id');
      await vault.tokens.delete(id);
      out(`Deleted ${id}`, { id, deleted: true });
      return EXIT.ok;
    }
    case 'connect':
      return connect(vault, need(sub, 'provider'), need(o.key, '--key'), o, out);
    case 'webhooks ls': {
      const rows = await vault.webhooks.list().toArray(limit);
      out(table(rows, ['id', 'url', 'status', 'events']), rows);
      return EXIT.ok;
    }
    case 'webhooks deliveries': {
      const id = need(rest[0], 'webhook id');
      const rows = [];
      const status = o.status as 'pending' | 'succeeded' | 'failed' | 'notice' | undefined;
      for await (const d of vault.webhooks.deliveries(id, status ? { status } : {})) {
        rows.push(d);
        if (rows.length >= limit) break;
      }
      out(table(rows, ['id', 'event_type', 'status', 'attempts', 'outcome', 'created_at']), rows);
      return EXIT.ok;
    }
    case 'webhooks retry': {
      const d = await vault.webhooks.retryDelivery(need(rest[0], 'webhook id'), need(rest[1], 'delivery id'));
      out(`Retrying ${d.id} (${d.status})`, d);
      return EXIT.ok;
    }
    case 'keys ls': {
      const rows = await vault.apiKeys.list().toArray(limit);
      out(table(rows, ['id', 'name', 'scopes', 'prefix', 'created_at', 'last_used_at']), rows);
      return EXIT.ok;
    }
    case 'keys create': {
      const k = await vault.apiKeys.create({
        name: need(o.name, '--name'),
        scopes: need(csv(o.scopes)?.join(','), '--scopes').split(',') as never,
      });
      // Asked for: the key exists only in this answer.
      out(`Created ${k.id}. The key, shown once:\n${k.api_key}`, k);
      return EXIT.ok;
    }
    case 'keys revoke': {
      const id = need(rest[0], 'key id');
      await vault.apiKeys.revoke(id);
      out(`Revoked ${id}`, { id, revoked: true });
      return EXIT.ok;
    }
    default:
      throw new UsageError(`Unknown command: ${args.join(' ')}`);
  }
}

/**
 * Prints the authorization URL and waits for the outcome. By default the browser comes back to a
 * listener on 127.0.0.1 (register `http://127.0.0.1:<port>/` among the OAuth app's redirect_urls);
 * with --redirect-url it goes to your app, and the CLI watches for the token instead.
 */
async function connect(
  vault: Vault,
  provider: string,
  key: string,
  o: { port?: string; 'redirect-url'?: string; scopes?: string; timeout?: string; json?: boolean },
  out: (human: string, data: unknown) => void,
): Promise<number> {
  const timeoutMs = Number(o.timeout ?? 600) * 1000;
  const started = new Date().toISOString();
  const scopes = csv(o.scopes);

  if (o['redirect-url']) {
    const session = await vault.connect.createSession({
      provider,
      key,
      redirect_url: o['redirect-url'],
      ...(scopes ? { scopes } : {}),
    });
    process.stderr.write(`Open this URL in a browser:\n${session.authorization_url}\nWaiting…\n`);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { data } = await vault.tokens.list({ provider, key, limit: 1 });
      const t = data[0];
      if (t && (t.updated_at ?? t.created_at) >= started) {
        out(`Connected: ${t.id}`, { status: 'success', token_id: t.id });
        return EXIT.ok;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
    out('Timed out waiting for the connection', { status: 'timeout' });
    return EXIT.error;
  }

  const server = createServer();
  const outcome = new Promise<URLSearchParams>((resolve) => {
    server.on('request', (req, res) => {
      const params = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams;
      if (!params.has('status')) {
        res.writeHead(404).end();
        return;
      }
      const ok = params.get('status') === 'success';
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(ok ? 'Connected. You can close this tab.' : 'The connection failed. See the terminal.');
      resolve(params);
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(Number(o.port ?? 8976), '127.0.0.1', ok);
  });
  try {
    const { port } = server.address() as { port: number };
    const redirect = `http://127.0.0.1:${port}/`;
    const session = await vault.connect.createSession({
      provider,
      key,
      redirect_url: redirect,
      ...(scopes ? { scopes } : {}),
    });
    process.stderr.write(
      `Open this URL in a browser:\n${session.authorization_url}\nWaiting for ${redirect} …\n`,
    );
    let timer: NodeJS.Timeout | undefined;
    const params = await Promise.race([
      outcome,
      new Promise<null>((r) => {
        timer = setTimeout(() => r(null), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!params) {
      out('Timed out waiting for the browser', { status: 'timeout' });
      return EXIT.error;
    }
    if (params.get('status') === 'success') {
      // The browser came back to this very listener, started by the same person: confirm it.
      const code = params.get('connect_code');
      const id = code ? (await vault.connect.exchange(code)).id : params.get('token_id');
      out(`Connected: ${id}`, { status: 'success', token_id: id });
      return EXIT.ok;
    }
    out(`Connection failed: ${params.get('error') ?? 'unknown error'}`, {
      status: 'error',
      error: params.get('error'),
    });
    return EXIT.error;
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return EXIT.usage;
  if (err instanceof AuthenticationError) return EXIT.auth;
  if (err instanceof PermissionError) return EXIT.permission;
  if (err instanceof NotFoundError) return EXIT.notFound;
  if (err instanceof ConflictError) return EXIT.conflict;
  if (err instanceof ValidationError) return EXIT.invalid;
  if (err instanceof RateLimitError) return EXIT.rateLimit;
  if (err instanceof ConnectionError || (err instanceof VaultError && err.status >= 500))
    return EXIT.unavailable;
  if ((err as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS')) return EXIT.usage;
  return EXIT.error;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const code = exitCodeFor(err);
    if (process.argv.includes('--json') && err instanceof VaultError) {
      process.stderr.write(
        `${JSON.stringify({ error: { ...err.problem, status: err.status, request_id: err.requestId } })}\n`,
      );
    } else if (err instanceof ValidationError && err.errors.length > 0) {
      process.stderr.write(
        `${err.message}\n${err.errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}\n`,
      );
    } else {
      const id = err instanceof VaultError && err.requestId ? ` (request ${err.requestId})` : '';
      process.stderr.write(`${(err as Error).message}${id}\n`);
    }
    if (code === EXIT.usage) process.stderr.write('Run `vault --help` for usage.\n');
    process.exitCode = code;
  },
);
