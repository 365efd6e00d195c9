import { tableName } from '../aws.js';
import { ConflictError, NotFoundError } from '../errors.js';
import {
  type Companion,
  compact,
  entity,
  getConsistent,
  prefixQuery,
  queryAll,
  queryPrefix,
  withConflictRetry,
  write,
} from './db.js';
import { keys } from './keys.js';
import { type DeliveryRecord, deliveryItem } from './webhook-deliveries.js';

// Webhook endpoints, under the tenant's partition, with a per-tenant counter that caps them.

export type WebhookStatus = 'active' | 'disabled';
export type DisabledReason = 'gone' | 'failing' | 'manual';

export interface WebhookRecord {
  id: string;
  tenant_id: string;
  url: string;
  events: string[];
  description: string | null;
  status: WebhookStatus;
  disabled_reason: DisabledReason | null;
  disabled_at: string | null;
  /** Sealed (lib/crypto), record `webhook#<id>`, field `secret`. */
  secret_enc: string;
  /** Sealed, field `previous_secret`; signs alongside the new one until it expires. */
  previous_secret_enc: string | null;
  previous_secret_expires_at: string | null;
  consecutive_failures: number;
  first_failure_at: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

const webhook = entity<WebhookRecord>({
  id: undefined,
  tenant_id: undefined,
  url: undefined,
  events: [],
  description: null,
  status: undefined,
  disabled_reason: null,
  disabled_at: null,
  secret_enc: undefined,
  previous_secret_enc: null,
  previous_secret_expires_at: null,
  consecutive_failures: 0,
  first_failure_at: null,
  created_at: undefined,
  updated_at: undefined,
  version: 1,
});
const webhookFromItem = webhook.fromItem;

function webhookItem(w: WebhookRecord) {
  return {
    ...keys.webhook(w.tenant_id, w.id),
    ...keys.ownerById('webhook', w.id, w.tenant_id),
    type: 'webhook',
    ...compact(w),
  };
}

const webhookCounter = (tenantId: string) => keys.counter(tenantId, 'webhooks');

/**
 * Puts a new endpoint and counts it, in one transaction that fails (false) if the tenant already
 * has `max`: the cap holds under concurrent creates.
 */
export async function putWebhook(w: WebhookRecord, max: number, also: Companion[] = []): Promise<boolean> {
  await ensureWebhookCounter(w.tenant_id);
  const r = await withConflictRetry(() =>
    write(
      [
        {
          Put: {
            TableName: tableName,
            Item: webhookItem(w),
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        {
          Update: {
            TableName: tableName,
            Key: webhookCounter(w.tenant_id),
            UpdateExpression: 'SET n = n + :one',
            ConditionExpression: 'n < :max',
            ExpressionAttributeValues: { ':one': 1, ':max': max },
          },
        },
      ],
      also,
    ),
  );
  if (!r.ok && r.failed === 1) return false;
  if (!r.ok) throw new ConflictError('The webhook exists already.');
  return true;
}

/** Starts a tenant's endpoint count from its endpoints, once (tenants from before the counter). */
async function ensureWebhookCounter(tenantId: string): Promise<void> {
  const key = webhookCounter(tenantId);
  if (await getConsistent(key)) return;
  const n = (await allWebhooks(tenantId)).length;
  // A concurrent create may have started it: then its count stands.
  await write([
    {
      Put: {
        TableName: tableName,
        Item: { ...key, type: 'counter', n },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    },
  ]);
}

export async function getWebhook(tenantId: string, id: string, consistent = false) {
  const item = await getConsistent(keys.webhook(tenantId, id), consistent);
  return item ? webhookFromItem(item) : null;
}

export async function mustGetWebhook(tenantId: string, id: string, consistent = false) {
  const w = await getWebhook(tenantId, id, consistent);
  if (!w) throw new NotFoundError('Webhook not found.');
  return w;
}

/** Replaces an endpoint if its version is still `expectedVersion`. */
export async function replaceWebhook(
  w: WebhookRecord,
  expectedVersion: number,
  also: Companion[] = [],
): Promise<void> {
  const r = await write(
    [
      {
        Put: {
          TableName: tableName,
          Item: webhookItem(w),
          ConditionExpression: 'attribute_exists(PK) AND version = :v',
          ExpressionAttributeValues: { ':v': expectedVersion },
        },
      },
    ],
    also,
  );
  if (r.ok) return;
  if (!(await getWebhook(w.tenant_id, w.id, true))) throw new NotFoundError('Webhook not found.');
  throw new ConflictError('The webhook was changed concurrently; retry.');
}

/** Deletes an endpoint and uncounts it, in one transaction. */
export async function deleteWebhook(tenantId: string, id: string, also: Companion[] = []): Promise<void> {
  await ensureWebhookCounter(tenantId);
  const r = await withConflictRetry(() =>
    write(
      [
        {
          Delete: {
            TableName: tableName,
            Key: keys.webhook(tenantId, id),
            ConditionExpression: 'attribute_exists(PK)',
          },
        },
        {
          Update: {
            TableName: tableName,
            Key: webhookCounter(tenantId),
            UpdateExpression: 'SET n = n - :one',
            ExpressionAttributeValues: { ':one': 1 },
          },
        },
      ],
      also,
    ),
  );
  if (!r.ok) throw new NotFoundError('Webhook not found.');
}

export function listWebhooks(tenantId: string, limit: number, cursor?: string) {
  return queryPrefix(tenantId, keys.webhooksOf(tenantId), { limit, cursor }, webhookFromItem);
}

/** Every endpoint of a tenant (the count is capped at creation). */
export async function allWebhooks(tenantId: string): Promise<WebhookRecord[]> {
  return (await queryAll(prefixQuery(keys.webhooksOf(tenantId)))).map(webhookFromItem);
}

/** Counts a failed attempt against the endpoint; returns the endpoint as it now is. */
export async function recordEndpointFailure(
  tenantId: string,
  id: string,
  at: string,
  also: Companion[] = [],
) {
  const r = await write(
    [
      {
        Update: {
          TableName: tableName,
          Key: keys.webhook(tenantId, id),
          UpdateExpression:
            'SET consecutive_failures = if_not_exists(consecutive_failures, :zero) + :one, first_failure_at = if_not_exists(first_failure_at, :at)',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':at': at },
        },
      },
    ],
    also,
    'ALL_NEW',
  );
  return r.ok && r.attributes ? webhookFromItem(r.attributes) : null;
}

/** Clears the endpoint's failure streak; an endpoint deleted meanwhile stays deleted. */
export async function recordEndpointSuccess(
  tenantId: string,
  id: string,
  also: Companion[] = [],
): Promise<void> {
  await write(
    [
      {
        Update: {
          TableName: tableName,
          Key: keys.webhook(tenantId, id),
          UpdateExpression: 'SET consecutive_failures = :zero REMOVE first_failure_at',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: { ':zero': 0 },
        },
      },
    ],
    also,
  );
}

/**
 * Disables an active endpoint and writes the notice into its log, in one transaction. Returns
 * false if it was not active (already disabled, or deleted): only one caller writes the notice.
 */
export async function disableWebhook(
  tenantId: string,
  id: string,
  reason: DisabledReason,
  at: string,
  notice: DeliveryRecord,
  also: Companion[] = [],
): Promise<boolean> {
  const r = await write(
    [
      {
        Update: {
          TableName: tableName,
          Key: keys.webhook(tenantId, id),
          UpdateExpression:
            'SET #status = :disabled, disabled_reason = :reason, disabled_at = :at, updated_at = :at, version = version + :one',
          ConditionExpression: '#status = :active',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':disabled': 'disabled',
            ':active': 'active',
            ':reason': reason,
            ':at': at,
            ':one': 1,
          },
        },
      },
      {
        Put: {
          TableName: tableName,
          Item: deliveryItem(notice),
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    ],
    also,
  );
  return r.ok;
}
