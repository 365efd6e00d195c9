import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../lib/config.js';

// lib/config.ts reads process.env once, at import: each test sets the environment, then imports it afresh.

const VARS = [
  'PORT',
  'AUTH_CACHE_TTL_SECONDS',
  'REFRESH_MARGIN_SECONDS',
  'REFRESH_INTERVAL_SECONDS',
  'WEBHOOK_RETRY_SCHEDULE',
  'REGISTRATION',
  'REGISTRATION_SECRET',
  'CORS_ORIGINS',
  'KMS_KEY_ID',
  'VAULT_MODE',
  'AWS_LAMBDA_FUNCTION_NAME',
] as const;
type Var = (typeof VARS)[number];
const saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));

async function loadConfig(env: Partial<Record<Var, string>> = {}): Promise<Config> {
  for (const v of VARS) delete process.env[v];
  Object.assign(process.env, env);
  vi.resetModules();
  return (await import('../../lib/config.js')).config;
}

async function loadError(env: Partial<Record<Var, string>>): Promise<Error> {
  try {
    await loadConfig(env);
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the configuration to be refused');
}

afterEach(() => {
  for (const v of VARS) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
  vi.resetModules();
});

describe('config', () => {
  it('has the documented defaults', async () => {
    // Act
    const config = await loadConfig();

    // Assess
    expect(config.PORT).toBe(8000);
    expect(config.AUTH_CACHE_TTL_SECONDS).toBe(60);
    expect(config.REFRESH_MARGIN_SECONDS).toBe(300);
    expect(config.REFRESH_INTERVAL_SECONDS).toBe(300);
    expect(config.WEBHOOK_RETRY_SCHEDULE).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    expect(config.REGISTRATION).toBe('open');
    expect(config.REGISTRATION_SECRET).toBeUndefined();
    expect(config.CORS_ORIGINS).toEqual([]);
    expect(config.KMS_KEY_ID).toBeUndefined();
    expect(config.VAULT_MODE).toBe('local');
  });

  it('inside Lambda registration defaults to closed and the mode to deployed', async () => {
    // Act
    const config = await loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'token-vault-api' });

    // Assess
    expect(config.REGISTRATION).toBe('closed');
    expect(config.VAULT_MODE).toBe('deployed');
  });

  it('reads and coerces set values', async () => {
    // Act
    const config = await loadConfig({
      PORT: '9123',
      AUTH_CACHE_TTL_SECONDS: '0',
      WEBHOOK_RETRY_SCHEDULE: '1, 2,3',
      REGISTRATION: 'closed',
      REGISTRATION_SECRET: 'sixteen-chars-ok',
    });

    // Assess
    expect(config.PORT).toBe(9123);
    expect(config.AUTH_CACHE_TTL_SECONDS).toBe(0);
    expect(config.WEBHOOK_RETRY_SCHEDULE).toEqual([1, 2, 3]);
    expect(config.REGISTRATION).toBe('closed');
    expect(config.REGISTRATION_SECRET).toBe('sixteen-chars-ok');
  });

  it('an empty value counts as unset', async () => {
    // Act
    const config = await loadConfig({ PORT: '', CORS_ORIGINS: '' });

    // Assess
    expect(config.PORT).toBe(8000);
    expect(config.CORS_ORIGINS).toEqual([]);
  });

  it('CORS_ORIGINS is a comma-separated, trimmed list', async () => {
    // Act
    const config = await loadConfig({ CORS_ORIGINS: 'https://a, https://b' });

    // Assess
    expect(config.CORS_ORIGINS).toEqual(['https://a', 'https://b']);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '80.5'],
    ['AUTH_CACHE_TTL_SECONDS', '-1'],
    ['REGISTRATION', 'maybe'],
    ['REGISTRATION_SECRET', 'too-short'],
    ['WEBHOOK_RETRY_SCHEDULE', '5,x'],
    ['WEBHOOK_RETRY_SCHEDULE', '5,-1'],
    ['WEBHOOK_RETRY_SCHEDULE', '5,1.5'],
  ] as const)('%s=%s fails at load with a message naming the variable', async (name, value) => {
    // Act
    const err = await loadError({ [name]: value });

    // Assess
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/^Invalid configuration:/);
    expect(err.message).toContain(`  ${name}: `);
    const named = VARS.filter((v) => err.message.includes(`  ${v}: `));
    expect(named).toEqual([name]);
  });

  it.each(['5,,300', '5,300,'])(
    'WEBHOOK_RETRY_SCHEDULE=%s (an empty entry) is refused, not read as a 0-second retry',
    async (value) => {
      // Act
      const err = await loadError({ WEBHOOK_RETRY_SCHEDULE: value });

      // Assess
      expect(err.message).toContain('  WEBHOOK_RETRY_SCHEDULE: ');
    },
  );

  it('names every bad variable at once', async () => {
    // Act
    const err = await loadError({ PORT: 'abc', WEBHOOK_RETRY_SCHEDULE: '5,x' });

    // Assess
    expect(err.message).toContain('  PORT: ');
    expect(err.message).toContain('  WEBHOOK_RETRY_SCHEDULE: ');
  });
});
