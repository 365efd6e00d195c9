import { spawn } from 'node:child_process';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Vault } from '../../sdk/src/index.js';
import { type Api, startApi } from '../helpers/api.js';
import { type OAuthServer, startOAuthServer } from '../helpers/oauth-server.js';
import { root } from '../helpers/process.js';

// The `vault` CLI as a process (bundled once from the SDK's sources, run on node), against the
// real local server, with its config directory in a temp dir (XDG_CONFIG_HOME).

let api: Api;
let idp: OAuthServer;
let cli: string;
let configHome: string;
let adminKey: string;

beforeAll(async () => {
  api = await startApi();
  idp = await startOAuthServer({ redirectUris: [`${api.url}/v1/connect/callback`] });
  const dir = await mkdtemp(join(tmpdir(), 'vault-cli-'));
  cli = join(dir, 'cli.mjs');
  await build({
    entryPoints: [join(root, 'sdk/src/cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: cli,
    logLevel: 'warning',
  });
  configHome = join(dir, 'config');
  adminKey = (await api.register('CLI')).key;
});
afterAll(async () => {
  await idp?.close();
  await api.close();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  args: string[],
  opts: { stdin?: string; env?: Record<string, string>; onStderr?: (s: string) => void } = {},
) {
  return new Promise<Run>((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      XDG_CONFIG_HOME: configHome,
      ...opts.env,
    };
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c;
      opts.onStderr?.(stderr);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

const json = (r: Run) => JSON.parse(r.stdout);

describe('vault CLI', () => {
  it('documents its commands and exit codes', async () => {
    // Act
    const r = await run(['--help']);

    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Exit codes:/);
    expect(r.stdout).toMatch(/5 not found/);
    expect((await run(['nonsense'])).code).toBe(2);
  });

  it('login reads the key from stdin and keeps it in a 0600 file under XDG_CONFIG_HOME', async () => {
    // Act
    const r = await run(['login', '--url', api.url], { stdin: `${adminKey}\n` });

    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(adminKey);
    const path = join(configHome, 'token-vault', 'config.json');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ url: api.url, api_key: adminKey });
  });

  it('tokens put, ls, get (secrets hidden unless asked), rm; not found is exit 5', async () => {
    // Prepare
    await run(['login', '--url', api.url, '--key', adminKey]);

    // Act: put, then list, read and remove in turn.
    const put = await run(
      [
        'tokens',
        'put',
        '--provider',
        'google',
        '--key',
        'cli-user',
        '--access-token',
        '-',
        '--expires-in',
        '3600',
        '--json',
      ],
      { stdin: 'ya29.cli-secret' },
    );

    // Assess
    expect(put.code).toBe(0);
    const id: string = json(put).id;

    // Act
    const ls = await run(['tokens', 'ls']);
    const lsJson = await run(['tokens', 'ls', '--json', '--provider', 'google']);

    // Assess
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^ID\s+PROVIDER\s+KEY/);
    expect(ls.stdout).toContain(id);
    expect(json(lsJson).map((t: { id: string }) => t.id)).toEqual([id]);

    // Act
    const get = await run(['tokens', 'get', id]);
    const getJson = await run(['tokens', 'get', id, '--json']);
    const getSecrets = await run(['tokens', 'get', id, '--json', '--show-secrets']);

    // Assess
    expect(get.code).toBe(0);
    expect(get.stdout).toContain('cli-user');
    expect(get.stdout).not.toContain('ya29.cli-secret');
    expect(json(getJson).access_token).not.toBe('ya29.cli-secret');
    expect(json(getSecrets).access_token).toBe('ya29.cli-secret');

    // Act
    const rm = await run(['tokens', 'rm', id]);
    const gone = await run(['tokens', 'get', id]);

    // Assess
    expect(rm.code).toBe(0);
    expect(gone.code).toBe(5);
    expect(gone.stderr).toMatch(/Token not found\. \(request .+\)/);
  });

  it('environment overrides the config file; a bad key is exit 3, a missing scope exit 4', async () => {
    // Prepare
    await run(['login', '--url', api.url, '--key', adminKey]);

    // Act
    const bad = await run(['tokens', 'ls'], {
      env: { VAULT_API_KEY: `vk_live_0000000000000000_${'A'.repeat(43)}` },
    });

    // Assess
    expect(bad.code).toBe(3);

    // Prepare
    const reader = await new Vault({ baseUrl: api.url, apiKey: adminKey }).apiKeys.create({
      name: 'reader',
      scopes: ['tokens:read'],
    });

    // Act
    const denied = await run(['keys', 'ls'], { env: { VAULT_API_KEY: reader.api_key } });

    // Assess
    expect(denied.code).toBe(4);

    // Act
    const nowhere = await run(['tokens', 'ls'], { env: { VAULT_URL: 'http://127.0.0.1:9' } });

    // Assess
    expect(nowhere.code).toBe(9);
  });

  it('keys create prints the new key once; ls and revoke do not print keys', async () => {
    // Prepare
    await run(['login', '--url', api.url, '--key', adminKey]);

    // Act
    const created = await run([
      'keys',
      'create',
      '--name',
      'ci',
      '--scopes',
      'tokens:read,tokens:write',
      '--json',
    ]);

    // Assess
    expect(created.code).toBe(0);
    const { id, api_key } = json(created);
    expect(api_key).toMatch(/^vk_/);

    // Act
    const ls = await run(['keys', 'ls']);

    // Assess
    expect(ls.stdout).toContain(id);
    expect(ls.stdout).not.toContain(api_key);
    expect(ls.stdout).not.toContain(adminKey);

    // Act: revoke twice, then create with a bad scope.
    const revoked = await run(['keys', 'revoke', id]);
    const again = await run(['keys', 'revoke', id]);
    const invalid = await run(['keys', 'create', '--name', 'x', '--scopes', 'nope']);

    // Assess
    expect(revoked.code).toBe(0);
    expect(again.code).toBe(5);
    expect(invalid.code).toBe(7);
  });

  it('webhooks ls, deliveries and retry', async () => {
    // Prepare
    await run(['login', '--url', api.url, '--key', adminKey]);
    const vault = new Vault({ baseUrl: api.url, apiKey: adminKey });
    const hook = await vault.webhooks.create({ url: 'http://127.0.0.1:9/hook', events: ['token.created'] });

    // Act
    const ls = await run(['webhooks', 'ls']);

    // Assess
    expect(ls.code).toBe(0);
    expect(ls.stdout).toContain(hook.id);
    expect(ls.stdout).not.toContain(hook.secret);

    // Act
    await vault.webhooks.test(hook.id);
    const deliveries = await run(['webhooks', 'deliveries', hook.id, '--json']);

    // Assess
    expect(deliveries.code).toBe(0);
    const [d] = json(deliveries);
    expect(d.event_type).toBe('ping');

    // Act
    const retry = await run(['webhooks', 'retry', hook.id, d.id]);

    // Assess
    expect([0, 6]).toContain(retry.code);
    expect((await run(['webhooks', 'retry', hook.id, 'dlv_missing'])).code).toBe(5);
  });

  it('connect prints the authorization URL and waits for the outcome of a real OAuth flow', async () => {
    // Prepare
    await run(['login', '--url', api.url, '--key', adminKey]);
    const port = await freePort();
    const vault = new Vault({ baseUrl: api.url, apiKey: adminKey });
    await vault.oauthApps.create({
      provider: 'acme',
      client_id: idp.clientId,
      client_secret: idp.clientSecret,
      scopes: ['read'],
      redirect_urls: [`http://127.0.0.1:${port}/`],
      custom: {
        name: 'Acme',
        authorization_url: idp.authorizationUrl,
        token_url: idp.tokenUrl,
        issuer: idp.issuer,
      },
    });
    let browser: Promise<void> | undefined;

    // Act: the CLI runs the flow while a stand-in browser follows the authorization URL it prints.
    const r = await run(['connect', 'acme', '--key', 'cli-connect', '--port', String(port), '--json'], {
      onStderr: (err) => {
        const url = /(http\S+\/auth\?\S+)/.exec(err)?.[1];
        if (browser || !url || !/Waiting/.test(err)) return;
        // The user's browser: consent at the provider, the vault's callback, then back to the CLI.
        browser = (async () => {
          const callback = await idp.authorize(url);
          const res = await fetch(`${api.url}${callback.pathname}${callback.search}`, { redirect: 'manual' });
          await fetch(res.headers.get('location') as string);
        })();
      },
    });
    await browser;

    // Assess
    expect(r.code).toBe(0);
    const outcome = json(r);
    expect(outcome.status).toBe('success');
    const token = await vault.tokens.get(outcome.token_id);
    expect(token).toMatchObject({ provider: 'acme', key: 'cli-connect' });
    expect(r.stdout + r.stderr).not.toContain(token.access_token);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
