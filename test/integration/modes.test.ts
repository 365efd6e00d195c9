import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi, uniqueEmail } from '../helpers/api.js';

// Configuration that changes behaviour: closed registration, CORS origins, a disabled auth cache,
// and what reaches the log. lib/config reads the environment once per module graph, so this file
// sets it before the first import and restores it afterwards.

const SECRET = 'operator-secret-0123456789';
const saved = { ...process.env };
let api: Api;
const logged: string[] = [];
const write = process.stdout.write.bind(process.stdout);

beforeAll(async () => {
  Object.assign(process.env, {
    REGISTRATION: 'closed',
    REGISTRATION_SECRET: SECRET,
    CORS_ORIGINS: 'https://app.example.com',
    AUTH_CACHE_TTL_SECONDS: '0',
    VAULT_MODE: 'deployed',
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
  });
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    logged.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof process.stdout.write;
  api = await startApi();
});

/** Registration is closed in this file: the operator secret opens it. */
const registerWithSecret = () =>
  api.call('POST', '/v1/auth/register', {
    body: { email: uniqueEmail(), name: 'X' },
    headers: { 'x-registration-secret': SECRET },
  });

afterAll(async () => {
  await api.close();
  process.stdout.write = write;
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

describe('closed registration', () => {
  it('is 403 without the operator secret or with a wrong one', async () => {
    // Prepare
    const body = { email: uniqueEmail(), name: 'X' };

    // Act
    const none = await api.call('POST', '/v1/auth/register', { body });

    // Assess
    expect(none.status).toBe(403);
    expect(none.headers.get('content-type')).toBe('application/problem+json');

    // Act
    const wrong = await api.call('POST', '/v1/auth/register', {
      body,
      headers: { 'x-registration-secret': 'nope' },
    });

    // Assess
    expect(wrong.status).toBe(403);
  });

  it('registers with the operator secret', async () => {
    // Act
    const res = await registerWithSecret();

    // Assess
    expect(res.status).toBe(201);
  });
});

describe('CORS', () => {
  it('allows a configured origin and not another', async () => {
    // Act
    const ok = await api.call('GET', '/health', { headers: { origin: 'https://app.example.com' } });

    // Assess
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');

    // Act
    const other = await api.call('GET', '/health', { headers: { origin: 'https://evil.example' } });

    // Assess
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers a preflight for a configured origin', async () => {
    // Act
    const res = await api.call('OPTIONS', '/v1/tokens', {
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });

    // Assess
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-methods')).toBe('POST, GET');
    expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
  });
});

describe('auth cache disabled', () => {
  it('with AUTH_CACHE_TTL_SECONDS=0 every request verifies the key', async () => {
    // Prepare
    const { authStats } = await import('../../lib/auth/api-keys.js');
    const reg = await registerWithSecret();
    const admin = reg.body.api_key;
    const before = authStats.bcryptCompares;

    // Act: three requests, each answered 200.
    for (let i = 0; i < 3; i++)
      expect((await api.call('GET', '/v1/tokens', { key: admin })).status).toBe(200);

    // Assess
    expect(authStats.bcryptCompares - before).toBe(3);
  });
});

describe('deployed mode: outbound URLs', () => {
  it.each([
    ['plain http', 'http://idp.example.com/token'],
    ['loopback', 'https://127.0.0.1/token'],
    ['a name resolving to loopback', 'https://localhost/token'],
    ['the metadata service', 'https://169.254.169.254/latest'],
    ['a private address', 'https://10.0.0.8/token'],
  ])("refuses a custom provider's token URL on %s (422)", async (_label, tokenUrl) => {
    // Prepare
    const reg = await registerWithSecret();

    // Act
    const res = await api.call('POST', '/v1/oauth-apps', {
      key: reg.body.api_key,
      body: {
        provider: 'corp-idp',
        client_id: 'c',
        client_secret: 's',
        redirect_urls: ['https://app.example.com/'],
        custom: { name: 'Corp', authorization_url: 'https://1.1.1.1/auth', token_url: tokenUrl },
      },
    });

    // Assess
    expect(res.status).toBe(422);
    expect(res.body.errors[0].path).toBe('body.custom.token_url');
  });

  it('hands out an https callback URL', async () => {
    // Prepare
    const reg = await registerWithSecret();

    // Act
    const res = await api.call('POST', '/v1/oauth-apps', {
      key: reg.body.api_key,
      body: {
        provider: 'github',
        client_id: 'c',
        client_secret: 's',
        redirect_urls: ['https://app.example.com/'],
      },
    });

    // Assess
    expect(res.status).toBe(201);
    expect(res.body.callback_url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v1\/connect\/callback$/);
  });
});

describe('logs', () => {
  it('carry no token, refresh token or API key, even at DEBUG', async () => {
    // Prepare
    const reg = await registerWithSecret();
    const key = reg.body.api_key as string;
    const secrets = [key, key.split('_').slice(3).join('_'), 'access-SECRET-abc123', 'refresh-SECRET-def456'];

    // Act
    const made = await api.call('POST', '/v1/tokens', {
      key,
      body: { provider: 'google', key: 'u', access_token: secrets[2], refresh_token: secrets[3] },
    });
    await api.call('GET', `/v1/tokens/${made.body.id}`, { key });
    await api.call('PUT', `/v1/tokens/${made.body.id}`, { key, body: { access_token: secrets[2] } });
    await api.call('GET', '/v1/tokens', { key: `${key.slice(0, -3)}xyz` }); // a failed auth is logged

    // Assess
    const text = logged.join('');
    expect(text).toContain('Request refused'); // the log is really being captured
    for (const s of secrets) expect(text).not.toContain(s);
  });
});
