import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { VaultEventRecord } from '../../../lib/events/types.js';
import { startReceiver } from '../../helpers/receiver.js';

// The deployed path: with WEBHOOK_QUEUE_URL set, deliveries are handed to SQS (one message per
// attempt, near retries with DelaySeconds) instead of being attempted in-process.

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/token-vault-webhooks';
const savedQueue = process.env.WEBHOOK_QUEUE_URL;
process.env.WEBHOOK_QUEUE_URL = QUEUE_URL;
vi.mock('../../../lib/webhooks/secrets.js', () => ({
  signingSecrets: async () => [`whsec_${Buffer.alloc(32, 1).toString('base64')}`],
}));
const { dispatch } = await import('../../../lib/webhooks/dispatch.js');
const { attemptDelivery } = await import('../../../lib/webhooks/deliver.js');
const { sweep } = await import('../../../lib/webhooks/sweep.js');
const { processQueueBatch } = await import('../../../lib/webhooks/worker.js');

const ddb = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);

afterEach(() => {
  ddb.reset();
  sqs.reset();
});
afterAll(() => {
  if (savedQueue === undefined) delete process.env.WEBHOOK_QUEUE_URL;
  else process.env.WEBHOOK_QUEUE_URL = savedQueue;
});

const webhookItem = (id: string, over: Record<string, unknown> = {}) => ({
  PK: 'TENANT#ten_a',
  SK: `WEBHOOK#${id}`,
  id,
  tenant_id: 'ten_a',
  url: 'http://127.0.0.1:9/hook',
  events: ['token.created'],
  status: 'active',
  secret_enc: 'sealed',
  consecutive_failures: 0,
  created_at: '2030-01-01T00:00:00.000Z',
  updated_at: '2030-01-01T00:00:00.000Z',
  version: 1,
  ...over,
});

const event: VaultEventRecord = {
  id: 'evt_01jabcdefghjkmnpqrstvwxyz0',
  tenant_id: 'ten_a',
  type: 'token.created',
  timestamp: '2030-01-01T00:00:00.000Z',
  data: { token: { id: 'tok_1', provider: 'google' } },
};

describe('fan-out with a queue', () => {
  it('writes one delivery per subscribed endpoint with the event update, then sends one message each', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({
      Items: [
        webhookItem('whk_sub'),
        webhookItem('whk_other', { events: ['token.deleted'] }),
        webhookItem('whk_off', { status: 'disabled' }),
      ],
    });
    ddb.on(TransactWriteCommand).resolves({});
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });
    const before = Date.now();

    // Act
    await dispatch([event]);

    // Assess: one transaction, the event leaves the pending index, one conditional delivery put.
    const [tx] = ddb.commandCalls(TransactWriteCommand);
    const items = tx?.args[0].input.TransactItems ?? [];
    expect(items).toHaveLength(2);
    expect(items[0]?.Update).toMatchObject({
      Key: { PK: 'TENANT#ten_a', SK: `EVENT#${event.id}` },
      UpdateExpression: expect.stringContaining('REMOVE GSI3PK, GSI3SK'),
      ConditionExpression: 'attribute_exists(GSI3PK)',
    });
    const put = items[1]?.Put;
    expect(put?.ConditionExpression).toBe('attribute_not_exists(PK)');
    expect(put?.Item).toMatchObject({
      SK: 'DELIVERY#whk_sub#dlv_01jabcdefghjkmnpqrstvwxyz0',
      status: 'pending',
      attempts: 0,
      event_id: event.id,
      payload: JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data }),
      GSI3PK: expect.stringMatching(/^DELIVERIES#\d$/),
    });
    // Queued: the due key is pushed past the message's time, so the sweeper re-queues only a lost one.
    const dueAt = Date.parse(String(put?.Item?.GSI3SK).split('#')[0] ?? '');
    expect(dueAt).toBeGreaterThanOrEqual(before + 5 * 60_000);

    const sends = sqs.commandCalls(SendMessageCommand);
    expect(sends).toHaveLength(1);
    expect(sends[0]?.args[0].input).toMatchObject({ QueueUrl: QUEUE_URL, DelaySeconds: 0 });
    expect(JSON.parse(sends[0]?.args[0].input.MessageBody ?? '')).toEqual({
      v: 1,
      tenant_id: 'ten_a',
      webhook_id: 'whk_sub',
      delivery_id: 'dlv_01jabcdefghjkmnpqrstvwxyz0',
    });
  });

  it('sends nothing when another worker already fanned the event out', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [webhookItem('whk_sub')] });
    ddb.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
      }),
    );

    // Act
    await dispatch([event]);

    // Assess
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });
});

describe('an attempt with a queue', () => {
  it('after a 500, sends the retry back to the queue with the backoff as DelaySeconds', async () => {
    // Prepare: a real receiver that fails.
    const r = await startReceiver(() => 500);
    const ref = { tenant_id: 'ten_a', webhook_id: 'whk_sub', delivery_id: 'dlv_1' };
    const delivery = {
      PK: 'TENANT#ten_a',
      SK: 'DELIVERY#whk_sub#dlv_1',
      id: 'dlv_1',
      tenant_id: 'ten_a',
      webhook_id: 'whk_sub',
      event_id: event.id,
      event_type: 'token.created',
      payload: '{"type":"token.created"}',
      status: 'pending',
      attempts: 0,
      max_attempts: 8,
      attempt_log: [],
      next_attempt_at: new Date(Date.now() - 1000).toISOString(),
      created_at: '2030-01-01T00:00:00.000Z',
      updated_at: '2030-01-01T00:00:00.000Z',
    };
    ddb
      .on(GetCommand, { Key: { PK: 'TENANT#ten_a', SK: 'DELIVERY#whk_sub#dlv_1' } })
      .resolves({ Item: delivery });
    ddb.on(GetCommand, { Key: { PK: 'TENANT#ten_a', SK: 'WEBHOOK#whk_sub' } }).resolves({
      Item: webhookItem('whk_sub', { url: r.url }),
    });
    ddb
      .on(UpdateCommand, { Key: { PK: 'TENANT#ten_a', SK: 'DELIVERY#whk_sub#dlv_1' } })
      .callsFake((input) => ({
        Attributes: { ...delivery, lease_until: input.ExpressionAttributeValues[':lease'] },
      }));
    ddb.on(UpdateCommand, { Key: { PK: 'TENANT#ten_a', SK: 'WEBHOOK#whk_sub' } }).resolves({
      Attributes: webhookItem('whk_sub', {
        consecutive_failures: 1,
        first_failure_at: new Date().toISOString(),
      }),
    });
    ddb.on(PutCommand).resolves({});
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm2' });

    try {
      // Act
      const result = await attemptDelivery(ref);

      // Assess
      expect(result.outcome).toBe('retry');
      expect(r.received).toHaveLength(1);
      const [claim] = ddb.commandCalls(UpdateCommand, {
        Key: { PK: 'TENANT#ten_a', SK: 'DELIVERY#whk_sub#dlv_1' },
      });
      expect(claim?.args[0].input.ConditionExpression).toContain('attempts = :n');
      const [put] = ddb.commandCalls(PutCommand);
      expect(put?.args[0].input.ConditionExpression).toBe('attempts = :n AND lease_until = :lease');
      expect(put?.args[0].input.Item).toMatchObject({ status: 'pending', attempts: 1 });
      expect(put?.args[0].input.Item?.attempt_log).toMatchObject([
        { attempt: 1, status_code: 500, error: 'HTTP 500' },
      ]);
      const [send] = sqs.commandCalls(SendMessageCommand);
      // Default schedule: 5 s before the first retry, ±20%.
      expect(send?.args[0].input.DelaySeconds).toBeGreaterThanOrEqual(4);
      expect(send?.args[0].input.DelaySeconds).toBeLessThanOrEqual(6);
      expect(JSON.parse(send?.args[0].input.MessageBody ?? '')).toMatchObject(ref);
    } finally {
      await r.close();
    }
  });

  it('the sweeper claims due deliveries by moving their due key, then queues them', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'DELIVERIES#2' } }).resolves({
      Items: [
        {
          GSI3PK: 'DELIVERIES#2',
          GSI3SK: '2030-01-01T00:00:00.000Z#ten_a#whk_sub#dlv_9',
          id: 'dlv_9',
          tenant_id: 'ten_a',
          webhook_id: 'whk_sub',
        },
      ],
    });
    ddb.on(UpdateCommand).resolves({});
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm3' });

    // Act
    const stats = await sweep();

    // Assess
    expect(stats.queued).toBe(1);
    const [move] = ddb.commandCalls(UpdateCommand);
    expect(move?.args[0].input).toMatchObject({
      ConditionExpression: 'GSI3SK = :from AND #status = :pending',
      ExpressionAttributeValues: { ':from': '2030-01-01T00:00:00.000Z#ten_a#whk_sub#dlv_9' },
    });
    const queries = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries.every((q) => q.IndexName === 'GSI3')).toBe(true);
    const [send] = sqs.commandCalls(SendMessageCommand);
    expect(JSON.parse(send?.args[0].input.MessageBody ?? '')).toEqual({
      v: 1,
      tenant_id: 'ten_a',
      webhook_id: 'whk_sub',
      delivery_id: 'dlv_9',
    });
  });

  it('the queue consumer reports a malformed message as a batch item failure', async () => {
    // Act
    const res = await processQueueBatch({
      Records: [{ messageId: 'bad-1', body: '{"nope":true}' }],
    } as never);

    // Assess
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'bad-1' }]);
  });
});
