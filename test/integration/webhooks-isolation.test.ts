import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { keys } from '../../lib/store/keys.js';
import { type Api, startApi, tenantItems } from '../helpers/api.js';
import { acmeApp, type OAuthServer, startOAuthServer } from '../helpers/oauth-server.js';
import { type Receiver, startReceiver, waitFor } from '../helpers/receiver.js';

// One tenant cannot stall the webhook machinery that all tenants share: events that cannot be fanned
// out are retried at the back of the line and then parked, the endpoint cap holds under concurrency.
// The real local server with its in-process sweeper (1 s), real receivers, DynamoDB Local.

const saved = { ...process.env };
let api: Api;
let idp: OAuthServer;
const receivers: Receiver[] = [];

beforeAll(async () => {
  Object.assign(process.env, { WEBHOOK_SWEEP_SECONDS: '1' });
  api = await startApi({ jobs: true });
  idp = await startOAuthServer({ redirectUris: [`${api.url}/v1/connect/callback`] });
});

afterAll(async () => {
  await idp?.close();
  await api.close();
  await Promise.all(receivers.map((r) => r.close()));
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

async function receiver() {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

// lib/aws and the outbox load lib/config: imported after the environment above is set.
async function putItem(Item: Record<string, unknown>) {
  const { ddb, tableName } = await import('../../lib/aws.js');
  await ddb.send(new PutCommand({ TableName: tableName, Item }));
}

const hook = (key: string, url: string, events = ['token.created', 'token.updated']) =>
  api.call('POST', '/v1/webhooks', { key, body: { url, events } });

describe('the endpoint cap', () => {
  it('holds under 30 concurrent creates: exactly 20 succeed; a delete makes room for one more', {
    timeout: 60_000,
  }, async () => {
    // Prepare
    const { key } = await api.register('Cap');
    const r = await receiver();

    // Act
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => hook(key, `${r.url}?n=${i}`)));

    // Assess
    const codes = results.map((x) => x.status).sort();
    expect(codes.filter((c) => c === 201)).toHaveLength(20);
    expect(codes.filter((c) => c === 409)).toHaveLength(10);
    const listed = await api.call('GET', '/v1/webhooks?limit=100', { key });
    expect(listed.body.data).toHaveLength(20);
    expect((await hook(key, `${r.url}?n=extra`)).status).toBe(409);
    const first = results.find((x) => x.status === 201)?.body.id;
    expect((await api.call('DELETE', `/v1/webhooks/${first}`, { key })).status).toBe(204);
    expect((await hook(key, `${r.url}?n=after-delete`)).status).toBe(201);
  });
});

describe('an event that cannot be fanned out', () => {
  it('never holds up another tenant, and is parked after three attempts', { timeout: 60_000 }, async () => {
    // Prepare: tenant A has 20 endpoints; two of its events are poison — one too big to fan out (20
    // copies of 300 KB exceed a transaction's 4 MB), one malformed — and they are first in line.
    const a = await api.register('Poisoned');
    const aReceiver = await receiver();
    for (let i = 0; i < 20; i++) expect((await hook(a.key, `${aReceiver.url}?n=${i}`)).status).toBe(201);
    const { newEvent } = await import('../../lib/events/outbox.js');
    const { eventItem } = await import('../../lib/store/events.js');
    const old = new Date(Date.now() - 3_600_000).toISOString();
    const big = { ...newEvent(a.tenantId, 'token.updated', { blob: 'x'.repeat(300_000) }), timestamp: old };
    await putItem(eventItem(big));
    const malformedId = 'evt_malformed0000000000000';
    await putItem({
      ...keys.event(a.tenantId, malformedId),
      ...keys.eventPending(malformedId, old),
      type: 'event',
      event: { nonsense: true },
    });

    // Tenant B: one endpoint, and an event committed after A's (so behind them in the sweeper's line)
    // that only the sweeper can deliver, plus a token created through the API.
    const b = await api.register('Bystander');
    const bReceiver = await receiver();
    expect((await hook(b.key, bReceiver.url)).status).toBe(201);
    const queued = { ...newEvent(b.tenantId, 'token.updated', { note: 'via the sweeper' }), timestamp: old };
    await putItem(eventItem(queued));
    const { metrics } = await import('../../lib/observability.js');
    const counted = vi.spyOn(metrics, 'addMetric');
    const started = Date.now();

    // Act
    const created = await api.call('POST', '/v1/tokens', {
      key: b.key,
      body: { provider: 'github', key: 'bystander', access_token: 'gho_bystander' },
    });

    // Assess: B's deliveries arrive on time, the fast path's at once and the sweeper's within a sweep
    expect(created.status).toBe(201);
    await waitFor(
      () => (bReceiver.received.some((x) => x.body.includes('token.created')) ? true : undefined),
      5_000,
      'B fast path',
    );
    await waitFor(
      () => (bReceiver.received.some((x) => x.body.includes('via the sweeper')) ? true : undefined),
      10_000,
      'B via sweeper',
    );
    expect(Date.now() - started).toBeLessThan(10_000);

    // ...and A's poison is parked, off the pending index, after three attempts each
    const parked = await waitFor(
      async () => {
        const events = (await tenantItems(a.tenantId)).filter((i) => i.type === 'event');
        return events.length === 2 && events.every((e) => e.fanout_status === 'failed') ? events : undefined;
      },
      40_000,
      'A parked',
    );
    for (const e of parked) {
      expect(e.fanout_attempts).toBe(3);
      expect(e.GSI3PK).toBeUndefined();
      expect(e.fanout_error).toEqual(expect.any(String));
    }
    expect(aReceiver.received).toHaveLength(0);
    // ...and counted in the metric the stack alarms on
    expect(counted.mock.calls.filter(([name]) => name === 'WebhookEventsParked')).toHaveLength(2);
    counted.mockRestore();
  });
});

describe('a hostile provider and a loud tenant', () => {
  it('a 300 KB scope is a recorded failure; 20 endpoints with large payloads; the other tenant is served on time', {
    timeout: 60_000,
  }, async () => {
    // Prepare: tenant A's custom provider will answer a refresh with a 300 KB scope; A has 20
    // endpoints, and its token carries ~50 KB of metadata (every event about it is large).
    const a = await api.register('Loud');
    const app = await api.call('POST', '/v1/oauth-apps', {
      key: a.key,
      body: acmeApp(idp),
    });
    expect(app.status, app.text).toBe(201);
    const aReceiver = await receiver();
    for (let i = 0; i < 20; i++)
      expect((await hook(a.key, `${aReceiver.url}?n=${i}`, ['token.refresh_failed'])).status).toBe(201);
    const metadata = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'm'.repeat(1000)]));
    const set = await idp.issueTokens({ scope: 'read' });
    const aToken = await api.call('POST', '/v1/tokens', {
      key: a.key,
      body: {
        provider: 'acme',
        key: 'loud',
        access_token: set.access_token,
        refresh_token: set.refresh_token,
        expires_in: 3600,
        scopes: ['read'],
        metadata,
      },
    });
    expect(aToken.status, aToken.text).toBe(201);
    const b = await api.register('Quiet');
    const bReceiver = await receiver();
    expect((await hook(b.key, bReceiver.url, ['token.created'])).status).toBe(201);
    idp.mode = 'custom';
    idp.customResponse = {
      status: 200,
      body: { access_token: 'new-at', token_type: 'Bearer', expires_in: 3600, scope: 's'.repeat(300 * 1024) },
    };

    // Act
    const forced = await api.call('POST', `/v1/tokens/${aToken.body.id}/refresh`, { key: a.key });
    const started = Date.now();
    const bToken = await api.call('POST', '/v1/tokens', {
      key: b.key,
      body: { provider: 'github', key: 'quiet', access_token: 'gho_quiet' },
    });

    // Assess: A's refresh failed and says so; nothing of the 300 KB scope was stored or sent
    expect(forced.status).toBe(502);
    const aNow = await api.call('GET', `/v1/tokens/${aToken.body.id}`, { key: a.key });
    expect(aNow.body).toMatchObject({
      status: 'refresh_failed',
      last_error: { code: 'invalid_response' },
      scopes: ['read'],
    });
    expect(aNow.body.access_token).toBe(set.access_token);
    // B's delivery arrives at once, and its token is what it is
    expect(bToken.status).toBe(201);
    await waitFor(() => (bReceiver.received.length > 0 ? true : undefined), 5_000, "B's delivery");
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await api.call('GET', `/v1/tokens/${bToken.body.id}`, { key: b.key })).body.status).toBe(
      'active',
    );
    // A's 20 large deliveries go out too, each well under the limits
    await waitFor(() => (aReceiver.received.length === 20 ? true : undefined), 20_000, "A's 20 deliveries");
    for (const r of aReceiver.received) {
      expect(r.body).toContain('token.refresh_failed');
      expect(r.body.length).toBeLessThan(100_000);
    }
    idp.mode = 'ok';
  });
});
