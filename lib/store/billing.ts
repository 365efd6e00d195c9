import { tableName } from '../aws.js';
import {
  type Companion,
  entity,
  getConsistent,
  prefixQuery,
  queryCount,
  queryFirst,
  ttlIn,
  write,
} from './db.js';
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

const account = entity<BillingAccount>({
  tenant_id: undefined,
  customer_id: null,
  subscription_id: null,
  plan_id: '',
  status: 'none',
  current_period_start: null,
  current_period_end: null,
  cancel_at_period_end: false,
  delinquent_since: null,
  updated_at: '',
});

export function accountFromItem(item: Record<string, unknown> | undefined, tenantId: string) {
  if (!item) return null;
  const a = account.fromItem(item);
  return {
    ...a,
    tenant_id: tenantId,
    cancel_at_period_end: Boolean(a.cancel_at_period_end),
  } satisfies BillingAccount;
}

const usage = entity<UsageRecord>({
  tenant_id: undefined,
  month: undefined,
  api_calls: 0,
  reported: 0,
  pending_report_id: null,
  pending_report_value: null,
});

function usageFromItem(
  item: Record<string, unknown> | undefined,
  tenantId: string,
  month: string,
): UsageRecord {
  return { ...usage.fromItem(item ?? {}), tenant_id: tenantId, month };
}

export async function getAccount(tenantId: string, consistent = false): Promise<BillingAccount | null> {
  return accountFromItem(await getConsistent(keys.billingAccount(tenantId), consistent), tenantId);
}

/** Records the tenant's Stripe customer (and the reverse mapping); a customer already recorded wins. */
export async function setCustomer(
  tenantId: string,
  customerId: string,
  defaultPlanId: string,
  also: Companion[] = [],
) {
  const at = new Date().toISOString();
  await write(
    [
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
    also,
  );
}

export async function tenantOfCustomer(customerId: string): Promise<string | null> {
  return ((await getConsistent(keys.stripeCustomer(customerId)))?.tenant_id as string | undefined) ?? null;
}

export async function stripeEventSeen(eventId: string): Promise<boolean> {
  return (await getConsistent(keys.stripeEvent(eventId))) !== undefined;
}

/**
 * Applies a Stripe event once: its marker, the account's new state and the companions (the vault
 * events) commit together. Returns false when the event was already applied (the marker exists).
 */
export async function applyStripeEvent(
  eventId: string,
  account: BillingAccount | null,
  also: Companion[] = [],
): Promise<boolean> {
  const r = await write(
    [
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
    ],
    also,
  );
  return r.ok;
}

// --- Usage -------------------------------------------------------------------------------------

export async function getUsage(tenantId: string, month: string, consistent = false): Promise<UsageRecord> {
  return usageFromItem(await getConsistent(keys.usage(tenantId, month), consistent), tenantId, month);
}

/** Adds counted calls and puts the month on the reporter's index. Returns the new total. */
export async function addCalls(
  tenantId: string,
  month: string,
  n: number,
  also: Companion[] = [],
): Promise<number> {
  const idx = keys.usageUnreported(tenantId, month);
  const r = await write(
    [
      {
        Update: {
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
        },
      },
    ],
    also,
    'UPDATED_NEW',
  );
  return ((r.ok ? r.attributes?.api_calls : undefined) as number | undefined) ?? n;
}

/** Usage items with calls not yet reported, oldest month first. */
export async function unreportedUsage(shard: number, limit: number): Promise<UsageRecord[]> {
  const items = await queryFirst(
    {
      index: INDEXES.pending,
      keyCondition: 'GSI3PK = :pk',
      values: { ':pk': keys.usageUnreportedShard(shard).GSI3PK },
    },
    limit,
  );
  return items.map((i) => usageFromItem(i, i.tenant_id as string, i.month as string));
}

/** Records the report about to be sent, unless another reporter got there first (false). */
export async function beginReport(
  u: UsageRecord,
  id: string,
  value: number,
  also: Companion[] = [],
): Promise<boolean> {
  const r = await write(
    [
      {
        Update: {
          TableName: tableName,
          Key: keys.usage(u.tenant_id, u.month),
          UpdateExpression: 'SET pending_report_id = :id, pending_report_value = :v',
          ConditionExpression: 'attribute_not_exists(pending_report_id) AND reported = :r',
          ExpressionAttributeValues: { ':id': id, ':v': value, ':r': u.reported },
        },
      },
    ],
    also,
  );
  return r.ok;
}

/** Stripe accepted the report: count it as reported; off the index once everything is. */
export async function completeReport(
  u: UsageRecord,
  id: string,
  value: number,
  also: Companion[] = [],
): Promise<void> {
  const key = keys.usage(u.tenant_id, u.month);
  const r = await write(
    [
      {
        Update: {
          TableName: tableName,
          Key: key,
          UpdateExpression: 'SET reported = reported + :v REMOVE pending_report_id, pending_report_value',
          ConditionExpression: 'pending_report_id = :id',
          ExpressionAttributeValues: { ':id': id, ':v': value },
        },
      },
    ],
    also,
  );
  if (!r.ok) return;
  await write([
    {
      Update: {
        TableName: tableName,
        Key: key,
        UpdateExpression: 'REMOVE GSI3PK, GSI3SK',
        // A flush in between added calls: stay on the index.
        ConditionExpression: 'reported >= api_calls AND attribute_not_exists(pending_report_id)',
      },
    },
  ]);
}

/** Nothing to report to Stripe (no customer): count the calls as settled. */
export async function settleWithoutReport(u: UsageRecord, also: Companion[] = []): Promise<void> {
  // A flush in between added calls (or a report began): left for the next round.
  await write(
    [
      {
        Update: {
          TableName: tableName,
          Key: keys.usage(u.tenant_id, u.month),
          UpdateExpression: 'SET reported = :c REMOVE GSI3PK, GSI3SK',
          ConditionExpression: 'api_calls = :c AND attribute_not_exists(pending_report_id)',
          ExpressionAttributeValues: { ':c': u.api_calls },
        },
      },
    ],
    also,
  );
}

// --- Stored-token counter ------------------------------------------------------------------------

export async function getTokenCount(tenantId: string): Promise<number | null> {
  return ((await getConsistent(keys.tokenCounter(tenantId)))?.n as number | undefined) ?? null;
}

/** Seeds the counter from the tokens stored, if it does not exist yet (billing just switched on). */
export async function seedTokenCount(tenantId: string, also: Companion[] = []): Promise<void> {
  const n = await queryCount(prefixQuery(keys.tokensOf(tenantId)));
  // Seeded meanwhile by another caller: theirs stands.
  await write(
    [
      {
        Put: {
          TableName: tableName,
          Item: { ...keys.tokenCounter(tenantId), type: 'token_counter', n },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    ],
    also,
  );
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
  const item = await getConsistent(keys.tenant(tenantId), false);
  return item ? { name: item.name as string, email: item.email as string } : null;
}
