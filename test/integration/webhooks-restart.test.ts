import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from '../helpers/api.js';
import { type Receiver, startReceiver, waitFor } from '../helpers/receiver.js';

// Durability under `npm start`: the local queue is the due index in DynamoDB, so stopping the
// server while a delivery waits for its retry loses nothing, and an event committed without its
// fast-path dispatch (a crash right after commit) is still fanned out by the sweeper.

const saved = { ...process.env };
let api: Api;
let tenant: { tenantId: string; key: string };
const receivers: Receiver[] = [];

beforeAll(async () => {
  Object.assign(process.env, { WEBHOOK_RETRY_SCHEDULE: '3,3', WEBHOOK_SWEEP_SECONDS: '1' });
  api = await startApi({ jobs: true });
  tenant = await api.register('Restart');
});

afterAll(async () => {
  await api.close();
  await Promise.all(receivers.map((r) => r.close()));
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

async function hookFor(r: Receiver) {
  const res = await api.call('POST', '/v1/webhooks', {
    key: tenant.key,
    body: { url: r.url, events: ['token.created'] },
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; secret: string };
}

const latest = async (webhookId: string) => {
  const res = await api.call('GET', `/v1/webhooks/${webhookId}/deliveries`, { key: tenant.key });
  return res.body.data[0];
};

describe('restart of the local server mid-retry', () => {
  it('completes the delivery after the restart', async () => {
    // Prepare: a delivery whose first attempt failed and waits for its retry.
    const r = await startReceiver((_req, n) => (n === 1 ? 500 : 200));
    receivers.push(r);
    const hook = await hookFor(r);
    await api.call('POST', '/v1/tokens', {
      key: tenant.key,
      body: { provider: 'github', key: 'u-restart', access_token: 'gho_secret' },
    });
    const waiting = await waitFor(
      async () => {
        const d = await latest(hook.id);
        return d?.attempts === 1 ? d : undefined;
      },
      10_000,
      'the first attempt',
    );

    // Assess
    expect(waiting.status).toBe('pending');
    expect(Date.parse(waiting.next_attempt_at)).toBeGreaterThan(Date.now());

    // Act: stop the server (and its in-process queue worker) while the retry waits; stay down past its due time.
    await api.close();
    await new Promise((ok) => setTimeout(ok, 4_000));

    // Assess
    expect(r.received).toHaveLength(1);

    // Act
    api = await startApi({ jobs: true });
    const done = await waitFor(
      async () => {
        const d = await latest(hook.id);
        return d?.status === 'succeeded' ? d : undefined;
      },
      10_000,
      'the retry after restart',
    );

    // Assess
    expect(done.attempts).toBe(2);
    expect(done.attempt_log.map((a: { status_code: number }) => a.status_code)).toEqual([500, 200]);
    expect(r.received).toHaveLength(2);
    const last = r.received[1];
    expect(new Webhook(hook.secret).verify(last?.body ?? '', last?.headers as never)).toMatchObject({
      type: 'token.created',
    });
  });

  it('fans out an event whose dispatch never ran (crash right after commit)', async () => {
    // Prepare
    const r = await startReceiver();
    receivers.push(r);
    const hook = await hookFor(r);
    const { ddb, tableName } = await import('../../lib/aws.js');
    const { newEvent } = await import('../../lib/events/outbox.js');
    const { eventItem } = await import('../../lib/store/events.js');

    // Act
    const event = newEvent(tenant.tenantId, 'token.created', { token: { id: 'tok_orphan' } });
    // Committed only: no dispatchSoon (as if the process died after the transaction).
    await ddb.send(new PutCommand({ TableName: tableName, Item: eventItem(event) }));
    await new Promise((ok) => setTimeout(ok, 1_500));

    // Assess
    expect(r.received).toHaveLength(0);

    // Act
    await waitFor(() => (r.received.length > 0 ? true : undefined), 15_000, 'the swept event');

    // Assess
    expect(r.received[0]?.headers['webhook-id']).toBe(event.id);
    const d = await waitFor(
      async () => {
        const x = await latest(hook.id);
        return x?.status === 'succeeded' ? x : undefined;
      },
      5_000,
      'the log entry',
    );
    expect(d.event_id).toBe(event.id);
  });
});
