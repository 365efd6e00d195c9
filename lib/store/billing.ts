import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../aws.js';
import { eventPut } from '../events/outbox.js';
import type { VaultEventRecord } from '../events/types.js';
import { failedConditions, isConditionFailure, ttlIn } from './db.js';
import { INDEXES, keys } from './keys.js';

// Billing items (only written when BILLING=stripe): the tenant's account (plan, Stripe customer,
// subscription), processed Stripe events, monthly usage with its reporting state, and the
// stored-token counter that makes the token limit atomic.

export interface BillingAccount {
  tenant_id: string;
  customer_id: string | null;
  subscription_id: string | null;
  /** The plan the subscription pays for; the default plan when there is none. */
  plan_id: string;
  /** `none` without a subscription, else Stripe's subscription status. */
  status: string;
  current_period_start: string | null;
  current_period_end: string | null;
  cancel_at_period_end: boolean;
  /** Since when payment has been failing; the grace period runs from here. */
  delinquent_since: string | null;
  updated_at: string;
}

export interface UsageRecord {
  tenant_id: string;
  month: string;
  api_calls: number;
  /** Calls accepted by Stripe as meter events. */
  reported: number;
  /** A report sent (or about to be) and not yet confirmed: retried with the same identifier. */
  pending_report_id: string | null;
  pending_report_value: number | null;
}

const STRIPE_EVENT_RETENTION_SECONDS = 30 * 86_400;

export function accountFromItem(item: Record<string, unknown> | undefined, tenantId: string) {
  if (!item) return null;
  return {
    tenant_id: tenantId,
    customer_id: (item.customer_id as string | undefined) ?? null,
    subscription_id: (item.subscription_id as string | undefined) ?? null,
    plan_id: (item.plan_id as string | undefined) ?? '',
    status: (item.status as string | undefined) ?? 'none',
    current_period_start: (item.current_period_start as string | undefined) ?? null,
    current_period_end: (item.current_period_end as string | undefined) ?? null,
    cancel_at_period_end: Boolean(item.cancel_at_period_end),
    delinquent_since: (item.delinquent_since as string | undefined) ?? null,
    updated_at: (item.updated_at as string | undefined) ?? '',
  } satisfies BillingAccount;
}

function usageFromItem(
  item: Record<string, unknown> | undefined,
  tenantId: string,
  month: string,
): UsageRecord {
  return {
    tenant_id: tenantId,
    month,
    api_calls: (item?.api_calls as number | undefined) ?? 0,
    reported: (item?.reported as number | undefined) ?? 0,
    pending_report_id: (item?.pending_report_id as string | undefined) ?? null,
    pending_report_value: (item?.pending_report_value as number | undefined) ?? null,
  };
}

export async function getAccount(tenantId: string, consistent = false): Promise<BillingAccount | null> {
  const out = await ddb.send(
    new GetCommand({ TableName: tableName, Key: keys.billingAccount(tenantId), ConsistentRead: consistent }),
  );
  return accountFromItem(out.Item, tenantId);
}

/** Records the tenant's Stripe customer (and the reverse mapping); a customer already recorded wins. */
export async function setCustomer(tenantId: string, customerId: string, defaultPlanId: string) {
  const at = new Date().toISOString();
  await ddb.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Update: {
            TableName: tableName,
            Key: keys.billingAccount(tenantId),
            UpdateExpression:
              'SET customer_id = if_not_exists(customer_id, :c), plan_id = if_not_exists(plan_id, :p), #s = if_not_exists(#s, :none), #t = :type, updated_at = :at',
            ExpressionAttributeNames: { '#s': 'status', '#t': 'type' },
            ExpressionAttributeValues: {
              ':c': customerId,
              ':p': defaultPlanId,
              ':none': 'none',
              ':type': 'billing_account',
              ':at': at,
            },
          },
        },
        {
          Put: {
            TableName: tableName,
            Item: { ...keys.stripeCustomer(customerId), type: 'stripe_customer', tenant_id: tenantId },
          },
        },
      ],
    }),
  );
}

export async function tenantOfCustomer(customerId: string): Promise<string | null> {
  const out = await ddb.send(
    new GetCommand({ TableName: tableName, Key: keys.stripeCustomer(customerId), ConsistentRead: true }),
  );
  return (out.Item?.tenant_id as string | undefined) ?? null;
}

export async function stripeEventSeen(eventId: string): Promise<boolean> {
  const out = await ddb.send(
    new GetCommand({ TableName: tableName, Key: keys.stripeEvent(eventId), ConsistentRead: true }),
  );
  return out.Item !== undefined;
}

/**
 * Applies a Stripe event once: its marker, the account's new state and the vault events commit
 * together. Returns false when the event was already applied (the marker exists).
 */
export async function applyStripeEvent(
  eventId: string,
  account: BillingAccount | null,
  events: VaultEventRecord[],
): Promise<boolean> {
  try {
    await ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName,
              Item: {
                ...keys.stripeEvent(eventId),
                type: 'stripe_event',
                tenant_id: account?.tenant_id ?? null,
                ttl: ttlIn(STRIPE_EVENT_RETENTION_SECONDS),
              },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          ...(account
            ? [
                {
                  Put: {
                    TableName: tableName,
                    Item: { ...keys.billingAccount(account.tenant_id), type: 'billing_account', ...account },
                  },
                },
              ]
            : []),
          ...events.map(eventPut),
        ],
      }),
    );
    return true;
  } catch (err) {
    if (failedConditions(err)?.includes(0)) return false;
    throw err;
  }
}

// --- Usage -------------------------------------------------------------------------------------

export async function getUsage(tenantId: string, month: string, consistent = false): Promise<UsageRecord> {
  const out = await ddb.send(
    new GetCommand({ TableName: tableName, Key: keys.usage(tenantId, month), ConsistentRead: consistent }),
  );
  return usageFromItem(out.Item, tenantId, month);
}

/** Adds counted calls and puts the month on the reporter's index. Returns the new total. */
export async function addCalls(tenantId: string, month: string, n: number): Promise<number> {
  const idx = keys.usageUnreported(tenantId, month);
  const out = await ddb.send(
    new UpdateCommand({
      TableName: tableName,
      Key: keys.usage(tenantId, month),
      UpdateExpression:
        'ADD api_calls :n SET #t = :type, tenant_id = :tid, #m = :month, GSI3PK = :gpk, GSI3SK = :gsk, reported = if_not_exists(reported, :zero)',
      ExpressionAttributeNames: { '#t': 'type', '#m': 'month' },
      ExpressionAttributeValues: {
        ':n': n,
        ':type': 'usage',
        ':tid': tenantId,
        ':month': month,
        ':gpk': idx.GSI3PK,
        ':gsk': idx.GSI3SK,
        ':zero': 0,
      },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return (out.Attributes?.api_calls as number | undefined) ?? n;
}

/** Usage items with calls not yet reported, oldest month first. */
export async function unreportedUsage(shard: number, limit: number): Promise<UsageRecord[]> {
  const out = await ddb.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: INDEXES.pending,
      KeyConditionExpression: 'GSI3PK = :pk',
      ExpressionAttributeValues: { ':pk': keys.usageUnreportedShard(shard).GSI3PK },
      Limit: limit,
    }),
  );
  return (out.Items ?? []).map((i) => usageFromItem(i, i.tenant_id as string, i.month as string));
}

/** Records the report about to be sent, unless another reporter got there first (false). */
export async function beginReport(u: UsageRecord, id: string, value: number): Promise<boolean> {
  try {
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.usage(u.tenant_id, u.month),
        UpdateExpression: 'SET pending_report_id = :id, pending_report_value = :v',
        ConditionExpression: 'attribute_not_exists(pending_report_id) AND reported = :r',
        ExpressionAttributeValues: { ':id': id, ':v': value, ':r': u.reported },
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

/** Stripe accepted the report: count it as reported; off the index once everything is. */
export async function completeReport(u: UsageRecord, id: string, value: number): Promise<void> {
  const key = keys.usage(u.tenant_id, u.month);
  try {
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: 'SET reported = reported + :v REMOVE pending_report_id, pending_report_value',
        ConditionExpression: 'pending_report_id = :id',
        ExpressionAttributeValues: { ':id': id, ':v': value },
      }),
    );
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: 'REMOVE GSI3PK, GSI3SK',
        // A flush in between added calls: stay on the index.
        ConditionExpression: 'reported >= api_calls AND attribute_not_exists(pending_report_id)',
      }),
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
}

/** Nothing to report to Stripe (no customer): count the calls as settled. */
export async function settleWithoutReport(u: UsageRecord): Promise<void> {
  try {
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.usage(u.tenant_id, u.month),
        UpdateExpression: 'SET reported = :c REMOVE GSI3PK, GSI3SK',
        ConditionExpression: 'api_calls = :c AND attribute_not_exists(pending_report_id)',
        ExpressionAttributeValues: { ':c': u.api_calls },
      }),
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
}

// --- Stored-token counter ------------------------------------------------------------------------

export async function getTokenCount(tenantId: string): Promise<number | null> {
  const out = await ddb.send(
    new GetCommand({ TableName: tableName, Key: keys.tokenCounter(tenantId), ConsistentRead: true }),
  );
  return (out.Item?.n as number | undefined) ?? null;
}

/** Seeds the counter from the tokens stored, if it does not exist yet (billing just switched on). */
export async function seedTokenCount(tenantId: string): Promise<void> {
  const k = keys.tokensOf(tenantId);
  let n = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await ddb.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :sk)',
        ExpressionAttributeValues: { ':pk': k.PK, ':sk': k.SKPrefix },
        Select: 'COUNT',
        ExclusiveStartKey: start,
      }),
    );
    n += out.Count ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  try {
    await ddb.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...keys.tokenCounter(tenantId), type: 'token_counter', n },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
}

/** A transaction item: one more token, only while under `limit` (null: unlimited). */
export function tokenCountIncrement(tenantId: string, limit: number | null) {
  return {
    Update: {
      TableName: tableName,
      Key: keys.tokenCounter(tenantId),
      UpdateExpression: 'SET n = n + :one',
      ConditionExpression: limit === null ? 'attribute_exists(n)' : 'attribute_exists(n) AND n < :limit',
      ExpressionAttributeValues: { ':one': 1, ...(limit === null ? {} : { ':limit': limit }) },
    },
  };
}

/** A transaction item: one token fewer. */
export function tokenCountDecrement(tenantId: string) {
  return {
    Update: {
      TableName: tableName,
      Key: keys.tokenCounter(tenantId),
      UpdateExpression: 'SET n = n - :one',
      ConditionExpression: 'attribute_exists(n)',
      ExpressionAttributeValues: { ':one': 1 },
    },
  };
}

/** The tenant's name and email, for its Stripe customer. */
export async function tenantContact(tenantId: string): Promise<{ name: string; email: string } | null> {
  const out = await ddb.send(
    new GetCommand({
      TableName: tableName,
      Key: keys.tenant(tenantId),
      ProjectionExpression: '#n, email',
      ExpressionAttributeNames: { '#n': 'name' },
    }),
  );
  return out.Item ? { name: out.Item.name as string, email: out.Item.email as string } : null;
}
