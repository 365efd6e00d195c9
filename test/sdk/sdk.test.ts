import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedHeaders } from '../../lib/webhooks/signing.js';
import { GENERATED_PATH, typesFromDocument } from '../../sdk/scripts/openapi-types.js';
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
  verifyWebhook,
  WebhookVerificationError,
} from '../../sdk/src/index.js';
import { type Api, startApi, tenantItems, uniqueEmail } from '../helpers/api.js';
import { startReceiver } from '../helpers/receiver.js';
import { startProxy } from './proxy.js';

// The SDK (its TypeScript sources) against the real local server, through real HTTP.

let api: Api;
beforeAll(async () => {
  // Jobs on: webhook deliveries go out in-process.
  api = await startApi({ jobs: true });
});
afterAll(async () => {
  await api.close();
});

let n = 0;
const newToken = (over: Record<string, unknown> = {}) => ({
  provider: 'google',
  key: `sdk-${process.pid}-${n++}`,
  access_token: `ya29.sdk-${Math.random().toString(36).slice(2)}`,
  expires_in: 3600,
  ...over,
});
const tokensOf = async (tenantId: string) =>
  (await tenantItems(tenantId)).filter((i) => String(i.SK).startsWith('TOKEN#'));

async function newVault(baseUrl = api.url, options: Partial<ConstructorParameters<typeof Vault>[0]> = {}) {
  const reg = await Vault.register({ baseUrl: api.url }, { email: uniqueEmail('sdk'), name: 'SDK' });
  return { vault: new Vault({ baseUrl, apiKey: reg.api_key, retryBaseDelayMs: 50, ...options }), reg };
}

describe('generated types', () => {
  it('match what the served OpenAPI document generates (run `npm run sdk:generate` if not)', async () => {
    // Act
    const doc = (await api.call('GET', '/openapi.json')).body;
    const fresh = await typesFromDocument(doc);
    const committed = await readFile(GENERATED_PATH, 'utf8');

    // Assess
    expect(committed === fresh, 'sdk/src/generated/openapi.ts is stale').toBe(true);
  });
});

describe('resources', () => {
  it('tokens: create, get, update, list, refresh, delete', async () => {
    // Prepare
    const { vault } = await newVault();
    const input = newToken({ refresh_token: undefined, metadata: { team: 'blue' } });

    // Act: each resource call in turn, each checked as it returns.
    const created = await vault.tokens.create(input);

    // Assess
    expect(created).toMatchObject({ provider: 'google', key: input.key, metadata: { team: 'blue' } });
    expect(created).not.toHaveProperty('access_token');

    // Act
    const got = await vault.tokens.get(created.id);

    // Assess
    expect(got.access_token).toBe(input.access_token);

    // Act
    const updated = await vault.tokens.update(created.id, { metadata: { team: 'red' } });

    // Assess
    expect(updated.metadata).toEqual({ team: 'red' });

    // Act
    const page = await vault.tokens.list({ provider: 'google' });

    // Assess
    expect(page.data.map((t) => t.id)).toEqual([created.id]);
    expect(page.next_cursor).toBeNull();

    // Assess: no refresh token, no OAuth app: the vault refuses, as a typed error.
    await expect(vault.tokens.refresh(created.id)).rejects.toBeInstanceOf(VaultError);
    await vault.tokens.delete(created.id);
    await expect(vault.tokens.get(created.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('list methods follow cursors with for await', async () => {
    // Prepare
    const { vault } = await newVault();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await vault.tokens.create(newToken())).id);
    await vault.tokens.create(newToken({ provider: 'github' }));

    // Act
    const first = await vault.tokens.list({ provider: 'google', limit: 2 });

    // Assess
    expect(first.data).toHaveLength(2);
    expect(first.next_cursor).toBeTruthy();

    // Act
    const seen = [];
    for await (const t of vault.tokens.list({ provider: 'google', limit: 2 })) seen.push(t.id);

    // Assess
    expect(seen.sort()).toEqual(ids.sort());
    expect(await vault.apiKeys.list({ limit: 1 }).toArray()).toHaveLength(1);
  });

  it('api keys, oauth apps, connect sessions, providers, tenant', async () => {
    // Prepare
    const { vault } = await newVault();

    // Act
    const key = await vault.apiKeys.create({ name: 'ci', scopes: ['tokens:read'] });

    // Assess
    expect(key.api_key).toMatch(/^vk_/);
    expect((await vault.apiKeys.list().toArray()).map((k) => k.id)).toContain(key.id);

    // Act
    const reader = new Vault({ baseUrl: api.url, apiKey: key.api_key });

    // Assess
    await expect(reader.tokens.create(newToken())).rejects.toBeInstanceOf(PermissionError);
    await vault.apiKeys.revoke(key.id);

    // Act
    const providers = await vault.providers.list();

    // Assess
    expect(providers.map((p) => p.id)).toContain('google');

    // Act
    const app = await vault.oauthApps.create({
      provider: 'google',
      client_id: 'cid',
      client_secret: 'not-shown',
      redirect_urls: ['https://app.example.com/done'],
    });

    // Assess
    expect(app).not.toHaveProperty('client_secret');
    expect((await vault.oauthApps.list()).data.map((a) => a.provider)).toEqual(['google']);

    // Act
    const session = await vault.connect.createSession({
      provider: 'google',
      key: 'user-1',
      redirect_url: 'https://app.example.com/done',
    });

    // Assess
    expect(session.authorization_url).toMatch(/^https:\/\/accounts\.google\.com\//);

    // Act
    await vault.oauthApps.delete('google');

    // Assess
    expect((await vault.tenant.rotateDataKey()).data_key_version).toBe(2);
  });

  it('webhooks: create, test, deliveries, retry; verifyWebhook checks what arrives', async () => {
    // Prepare
    const { vault } = await newVault();
    const receiver = await startReceiver();
    try {
      // Act
      const hook = await vault.webhooks.create({ url: receiver.url, events: ['token.created'] });

      // Assess
      expect(hook.secret).toMatch(/^whsec_/);
      expect((await vault.webhooks.get(hook.id)).url).toBe(receiver.url);
      expect((await vault.webhooks.list()).data).toHaveLength(1);

      // Act
      await vault.webhooks.test(hook.id);
      const deadline = Date.now() + 10_000;
      while (receiver.received.length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));

      // Assess
      const req = receiver.received[0];
      expect(req).toBeDefined();
      const event = verifyWebhook(req?.body ?? '', req?.headers as Record<string, string>, hook.secret);
      expect(event.type).toBe('ping');
      expect(() =>
        verifyWebhook(`${req?.body} `, req?.headers as Record<string, string>, hook.secret),
      ).toThrow(WebhookVerificationError);

      // Act
      const deliveries = await vault.webhooks.deliveries(hook.id).toArray();

      // Assess
      expect(deliveries.length).toBeGreaterThan(0);
      const d = deliveries[0];
      if (!d) throw new Error('no delivery');
      const retried = await vault.webhooks.retryDelivery(hook.id, d.id).catch((e: unknown) => e);
      // A delivery that succeeded may not be retried (409); a retry is otherwise accepted.
      if (retried instanceof VaultError) expect(retried).toBeInstanceOf(ConflictError);
      else expect((retried as { id: string }).id).toBe(d.id);

      // Act
      const updated = await vault.webhooks.update(hook.id, { description: 'mine' });

      // Assess
      expect(updated.description).toBe('mine');
      expect((await vault.webhooks.rotateSecret(hook.id)).secret).not.toBe(hook.secret);
      await vault.webhooks.delete(hook.id);
    } finally {
      await receiver.close();
    }
  });

  it('verifyWebhook accepts the vault’s signature from a Headers object', () => {
    // Prepare
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const body = JSON.stringify({
      type: 'token.created',
      timestamp: new Date().toISOString(),
      data: { id: 't' },
    });
    const headers = new Headers(signedHeaders([secret], 'msg_1', new Date(), body));

    // Act
    const event = verifyWebhook(body, headers, secret);
    const withOtherSecret = () =>
      verifyWebhook(body, headers, `whsec_${Buffer.alloc(32, 8).toString('base64')}`);

    // Assess
    expect(event).toMatchObject({ type: 'token.created', data: { id: 't' } });
    expect(withOtherSecret).toThrow(WebhookVerificationError);
  });
});

describe('errors', () => {
  it('are typed and carry the problem and the request id', async () => {
    // Prepare
    const { vault } = await newVault();

    // Act
    const missing = await vault.tokens.get('tok_missing').catch((e: unknown) => e);

    // Assess
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ status: 404, title: 'Not Found', detail: 'Token not found.' });
    expect((missing as VaultError).requestId).toMatch(/.+/);

    // Act
    const invalid = await vault.tokens.create({ ...newToken(), provider: '' }).catch((e: unknown) => e);

    // Assess
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).errors.map((e) => e.path)).toContain('body.provider');

    // Prepare
    const body = newToken();
    await vault.tokens.create(body);

    // Assess
    await expect(vault.tokens.create(body)).rejects.toBeInstanceOf(ConflictError);

    // Prepare
    const stranger = new Vault({ baseUrl: api.url, apiKey: `vk_live_0000000000000000_${'A'.repeat(43)}` });

    // Assess
    await expect(stranger.tokens.list()).rejects.toBeInstanceOf(AuthenticationError);
  });
});

describe('retries', () => {
  it('rides out a 503 with Retry-After, waiting as told, and reuses the idempotency key', async () => {
    // Prepare
    const proxy = await startProxy(api.url, (i) =>
      i === 2 ? { status: 503, headers: { 'retry-after': '1' } } : 'pass',
    );
    try {
      // Act
      const { vault, reg } = await newVault(proxy.url);
      await vault.tokens.list(); // request 1 passes
      const token = await vault.tokens.create(newToken());

      // Assess
      expect(token.id).toBeTruthy();
      expect(proxy.seen).toHaveLength(3);
      const [, failed, retried] = proxy.seen;
      expect((retried?.at ?? 0) - (failed?.at ?? 0)).toBeGreaterThanOrEqual(950);
      expect(failed?.headers['idempotency-key']).toBeTruthy();
      expect(retried?.headers['idempotency-key']).toBe(failed?.headers['idempotency-key']);
      expect(await tokensOf(reg.tenant.id)).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it('retries a POST whose connection dropped after the server wrote, and creates exactly one token', async () => {
    // Prepare
    const proxy = await startProxy(api.url, (i) => (i === 1 ? 'drop-after' : 'pass'));
    try {
      // Act
      const { vault, reg } = await newVault(proxy.url);
      const token = await vault.tokens.create(newToken());

      // Assess
      expect(proxy.seen).toHaveLength(2);
      expect(proxy.seen[1]?.headers['idempotency-key']).toBe(proxy.seen[0]?.headers['idempotency-key']);
      const items = await tokensOf(reg.tenant.id);
      expect(items).toHaveLength(1);
      expect(items[0]?.id).toBe(token.id);
    } finally {
      await proxy.close();
    }
  });

  it('gives up after maxRetries with a typed error: RateLimitError carries retryAfter', async () => {
    // Prepare
    const proxy = await startProxy(api.url, () => ({ status: 429, headers: { 'retry-after': '0' } }));
    try {
      // Act
      const vault = new Vault({ baseUrl: proxy.url, apiKey: 'vk_live_x', maxRetries: 2 });
      const err = await vault.tokens.list().catch((e: unknown) => e);

      // Assess
      expect(err).toBeInstanceOf(RateLimitError);
      expect((err as RateLimitError).retryAfter).toBe(0);
      expect(proxy.seen).toHaveLength(3);
    } finally {
      await proxy.close();
    }
  });

  it('a server that never answers is a ConnectionError after the retries', async () => {
    // Prepare
    const proxy = await startProxy(api.url, () => 'drop-after');
    try {
      // Act
      const { vault } = await newVault(proxy.url, { maxRetries: 1 });

      // Assess
      await expect(vault.tokens.list()).rejects.toBeInstanceOf(ConnectionError);
      expect(proxy.seen).toHaveLength(2);
    } finally {
      await proxy.close();
    }
  });
});
