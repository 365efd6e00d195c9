import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { keys } from '../../lib/store/keys.js';
import { type Api, startApi, tenantItems } from '../helpers/api.js';
import { type Receiver, startReceiver, waitFor } from '../helpers/receiver.js';

// One tenant cannot stall the webhook machinery that all tenants share: events that cannot be fanned
// out are retried at the back of the line and then parked, the endpoint cap holds under concurrency.
// The real local server with its in-process sweeper (1 s), real receivers, DynamoDB Local.

const saved = { ...process.env };
let api: Api;
const receivers: Receiver[] = [];

beforeAll(async () => {
  Object.assign(process.env, { WEBHOOK_SWEEP_SECONDS: '1' });
  api = await startApi({ jobs: true });
});

afterAll(async () => {
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
    const { eventItem, newEvent } = await import('../../lib/events/outbox.js');
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
