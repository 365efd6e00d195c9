import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Api, startApi } from '../helpers/api.js';
import { acmeApp, type OAuthServer, startOAuthServer } from '../helpers/oauth-server.js';

// Untrusted token responses and fair scheduling (issue 9, sections 1 and 2), against real OAuth
// servers (oidc-provider), the vault's handlers over HTTP and DynamoDB Local.

let api: Api;
let idp: OAuthServer;

beforeAll(async () => {
  api = await startApi();
  idp = await startOAuthServer({ redirectUris: [`${api.url}/v1/connect/callback`] });
});
afterAll(async () => {
  await idp?.close();
  await api?.close();
});
beforeEach(() => {
  idp.mode = 'ok';
  idp.tokenRequests.refresh_token = 0;
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function tenantWithApp(server: OAuthServer) {
  const t = await api.register();
  const res = await api.call('POST', '/v1/oauth-apps', {
    key: t.key,
    body: acmeApp(server, { scopes: ['read'] }),
  });
  expect(res.status).toBe(201);
  return t;
}

/** A token due for refresh (expires within the margin); real tokens from `server`, or made-up ones. */
async function seedToken(key: string, server?: OAuthServer) {
  const set = server
    ? await server.issueTokens({ scope: 'read' })
    : { access_token: `at-${Math.random()}`, refresh_token: `rt-${Math.random()}` };
  const res = await api.call('POST', '/v1/tokens', {
    key,
    body: {
      provider: 'acme',
      key: `u-${Math.random().toString(36).slice(2)}`,
      access_token: set.access_token,
      refresh_token: set.refresh_token,
      expires_in: 60,
    },
  });
  expect(res.status).toBe(201);
  return { id: res.body.id as string, ...set };
}

async function stored(tenantId: string, tokenId: string) {
  const { ddb, tableName } = await import('../../lib/aws.js');
  const { keys } = await import('../../lib/store/keys.js');
  const out = await ddb.send(new GetCommand({ TableName: tableName, Key: keys.token(tenantId, tokenId) }));
  return out.Item as Record<string, unknown>;
}

async function eventsOf(tenantId: string) {
  const { ddb, tableName } = await import('../../lib/aws.js');
  const out = await ddb.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :sk)',
      ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}`, ':sk': 'EVENT#' },
    }),
  );
  return (out.Items ?? []).map((i) => i.event as { type: string; data: { error?: { code: string } } });
}

/** Seconds from now until the token is due again (its backoff). */
const backoffOf = (item: Record<string, unknown>) =>
  (Date.parse(item.refresh_due_at as string) - Date.now()) / 1000;

describe('a provider’s token response is bounded', () => {
  it('a 300 KB scope is a recorded refresh failure: refresh_failed, last_error, backoff, event; a forced refresh answers 502', async () => {
    // Prepare: the provider answers with a 300 KB scope.
    const { tenantId, key } = await tenantWithApp(idp);
    const seeded = await seedToken(key, idp);
    idp.mode = 'custom';
    idp.customResponse = {
      status: 200,
      body: { access_token: 'new-at', token_type: 'Bearer', expires_in: 3600, scope: 'x'.repeat(300 * 1024) },
    };

    // Act
    const res = await api.call('POST', `/v1/tokens/${seeded.id}/refresh`, { key });

    // Assess
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.detail).toContain('invalid_response');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(48);
    expect(res.text.length).toBeLessThan(2000);

    const meta = await api.call('GET', `/v1/tokens/${seeded.id}`, { key });
    expect(meta.body).toMatchObject({
      status: 'refresh_failed',
      last_error: { code: 'invalid_response' },
      scopes: [],
      access_token: seeded.access_token, // the stored one, untouched
    });
    const item = await stored(tenantId, seeded.id);
    expect(item.refresh_failures).toBe(1);
    expect(backoffOf(item)).toBeGreaterThan(40);
    const failed = (await eventsOf(tenantId)).filter((e) => e.type === 'token.refresh_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.data.error?.code).toBe('invalid_response');
  });

  it('a response body over the fetch cap (2 MB) is an invalid response too', async () => {
    // Prepare
    const { key } = await tenantWithApp(idp);
    const seeded = await seedToken(key, idp);
    idp.mode = 'custom';
    idp.customResponse = {
      status: 200,
      body: {
        access_token: 'new-at',
        token_type: 'Bearer',
        expires_in: 3600,
        scope: 'x'.repeat(2 * 1024 * 1024),
      },
    };

    // Act
    const res = await api.call('POST', `/v1/tokens/${seeded.id}/refresh`, { key });

    // Assess
    expect(res.status).toBe(502);
    expect(res.body.detail).toContain('invalid_response');
    const meta = await api.call('GET', `/v1/tokens/${seeded.id}`, { key });
    expect(meta.body).toMatchObject({ status: 'refresh_failed', last_error: { code: 'invalid_response' } });
  });

  it('an expires_in of 1e300 in the scheduled job is a recorded failure with backoff, not an exception', async () => {
    // Prepare
    const { tenantId, key } = await tenantWithApp(idp);
    const seeded = await seedToken(key, idp);
    idp.mode = 'custom';
    idp.customResponse = {
      status: 200,
      body: { access_token: 'new-at', refresh_token: 'new-rt', token_type: 'Bearer', expires_in: 1e300 },
    };

    // Act
    const { refreshDue } = await import('../../lib/refresh/job.js');
    const run = await refreshDue(() => 60_000);

    // Assess
    expect(run.failed).toBeGreaterThanOrEqual(1);
    const item = await stored(tenantId, seeded.id);
    expect(item).toMatchObject({ status: 'refresh_failed', last_error: { code: 'invalid_response' } });
    expect(backoffOf(item)).toBeGreaterThan(40);

    // Act: the next run leaves it alone: backed off, not retried at once
    const calls = idp.tokenRequests.refresh_token;
    await refreshDue(() => 60_000);

    // Assess
    expect(idp.tokenRequests.refresh_token).toBe(calls);
  });

  it('connect applies the same bounds: an out-of-bounds code exchange stores nothing', async () => {
    // Prepare
    const { key } = await tenantWithApp(idp);

    // Act: a connect session, through consent, to a code exchange answered out of bounds.
    const session = await api.call('POST', '/v1/connect/sessions', {
      key,
      body: { provider: 'acme', key: 'user-1', redirect_url: 'https://app.example.com/oauth/done' },
    });

    // Assess
    expect(session.status).toBe(201);

    // Act
    const callback = await idp.authorize(session.body.authorization_url);
    idp.mode = 'custom';
    idp.customResponse = {
      status: 200,
      body: { access_token: 'a'.repeat(20_000), token_type: 'Bearer', expires_in: 3600 },
    };
    const res = await api.call('GET', `${callback.pathname}${callback.search}`);

    // Assess
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location') as string);
    expect(back.searchParams.get('status')).toBe('error');
    expect(back.searchParams.get('error')).toBe('invalid_response');
    const list = await api.call('GET', '/v1/tokens', { key });
    expect(list.body.data).toEqual([]);
  });

  it('provider error text is cut and stripped before it is stored', async () => {
    // Prepare
    const { key } = await tenantWithApp(idp);
    const seeded = await seedToken(key, idp);
    idp.mode = 'custom';
    idp.customResponse = { status: 400, body: { error: `bad"<code>\n${'e'.repeat(100_000)}` } };

    // Act
    const res = await api.call('POST', `/v1/tokens/${seeded.id}/refresh`, { key });

    // Assess
    expect(res.status).toBe(502);
    const meta = await api.call('GET', `/v1/tokens/${seeded.id}`, { key });
    expect(meta.body.status).toBe('refresh_failed');
    expect(meta.body.last_error.code).toMatch(/^bad__code__e+$/);
    expect(meta.body.last_error.code).toHaveLength(64);
    expect(meta.body.last_error.message.length).toBeLessThan(200);
  });

  it('a failed write after the provider answered is recorded as internal_error with backoff', async () => {
    // Prepare: the first token write after the provider answered fails.
    const { tenantId, key } = await tenantWithApp(idp);
    const seeded = await seedToken(key, idp);
    const { ddb } = await import('../../lib/aws.js');
    const send = ddb.send.bind(ddb);
    let failedWrites = 0;
    vi.spyOn(ddb, 'send').mockImplementation((async (cmd: { input: Record<string, unknown> }) => {
      const put = (cmd.input.TransactItems as { Put?: { Item?: Record<string, unknown> } }[] | undefined)?.[0]
        ?.Put;
      if (put?.Item?.id === seeded.id && put.Item.status === 'active' && failedWrites === 0) {
        failedWrites++;
        throw Object.assign(new Error('injected storage failure'), { name: 'InternalServerError' });
      }
      return send(cmd as never);
    }) as never);

    // Act
    const res = await api.call('POST', `/v1/tokens/${seeded.id}/refresh`, { key });

    // Assess
    expect(failedWrites).toBe(1);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeTruthy();
    const item = await stored(tenantId, seeded.id);
    expect(item).toMatchObject({ status: 'refresh_failed', last_error: { code: 'internal_error' } });
    expect(backoffOf(item)).toBeGreaterThan(40);
  });

  it('a storage error before the lease in the scheduled job still moves the token’s due time', async () => {
    // Prepare: the first read of the OAuth app in the job fails.
    const { tenantId, key } = await tenantWithApp(idp);
    const seeded = await seedToken(key, idp);
    const { ddb } = await import('../../lib/aws.js');
    const send = ddb.send.bind(ddb);
    let failedReads = 0;
    vi.spyOn(ddb, 'send').mockImplementation((async (cmd: { input: Record<string, unknown> }) => {
      const k = cmd.input.Key as { PK?: string; SK?: string } | undefined;
      if (k?.PK === `TENANT#${tenantId}` && k.SK?.startsWith('OAUTHAPP#') && failedReads === 0) {
        failedReads++;
        throw Object.assign(new Error('injected throttling'), {
          name: 'ProvisionedThroughputExceededException',
        });
      }
      return send(cmd as never);
    }) as never);

    // Act
    const { refreshDue } = await import('../../lib/refresh/job.js');
    await refreshDue(() => 60_000);

    // Assess
    expect(failedReads).toBe(1);
    const item = await stored(tenantId, seeded.id);
    expect(item).toMatchObject({ status: 'refresh_failed', last_error: { code: 'internal_error' } });
    expect(backoffOf(item)).toBeGreaterThan(40);
  });
});

describe('fair scheduling', () => {
  it('a tenant flooding a slow, failing provider does not delay another tenant’s refreshes past the first run', async () => {
    const slowIdp = await startOAuthServer({ redirectUris: [`${api.url}/v1/connect/callback`] });
    try {
      // Prepare: the flooding tenant's 120 tokens are due first (older), at a provider that takes 1.5 s and
      // then refuses them (made-up refresh tokens).
      const flood = await tenantWithApp(slowIdp);
      const floodTokens: string[] = [];
      for (let i = 0; i < 120; i += 10)
        floodTokens.push(
          ...(await Promise.all(Array.from({ length: 10 }, () => seedToken(flood.key)))).map((t) => t.id),
        );
      const other = await tenantWithApp(idp);
      const otherTokens = [
        await seedToken(other.key, idp),
        await seedToken(other.key, idp),
        await seedToken(other.key, idp),
      ];
      slowIdp.mode = 'slow';
      slowIdp.delayMs = 1500;
      slowIdp.tokenRequests.refresh_token = 0;

      // Act: one run with 3 s of work time: oldest-first with 8 workers would spend it all on the flood.
      const { refreshDue } = await import('../../lib/refresh/job.js');
      const deadline = Date.now() + 3000;
      const run = await refreshDue(() => 20_000 + deadline - Date.now());

      // Assess
      for (const t of otherTokens) {
        const item = await stored(other.tenantId, t.id);
        expect(item.status).toBe('active');
        expect(item.last_refreshed_at).not.toBeNull();
      }
      // The flood was only partly served, and what was served has its outcome recorded.
      expect(slowIdp.tokenRequests.refresh_token).toBeGreaterThan(0);
      expect(slowIdp.tokenRequests.refresh_token).toBeLessThan(120);
      expect(run.skipped).toBeGreaterThan(0);
      const floodItems = await Promise.all(floodTokens.map((id) => stored(flood.tenantId, id)));
      const served = floodItems.filter((i) => i.last_error !== null);
      expect(served.length).toBe(slowIdp.tokenRequests.refresh_token);
      for (const i of served)
        expect(i).toMatchObject({ status: 'needs_reauth', last_error: { code: 'invalid_grant' } });
    } finally {
      await slowIdp.close();
    }
  }, 60_000);
});
