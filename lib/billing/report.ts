import { config } from '../config.js';
import { logger } from '../observability.js';
import type { UsageRecord } from '../store/billing.js';
import * as store from '../store/billing.js';
import { REFRESH_SHARDS } from '../store/keys.js';
import { stripe } from './stripe.js';

// The usage reporter (scheduled job): for each month with calls not yet reported, one Billing
// Meter event carrying the increment since the last accepted report. The report is recorded
// (id and value) before it is sent, so a retry after a crash or a timeout sends the same
// identifier and value, and Stripe counts it once; the next report starts from the new baseline.

const PAGE = 100;

export async function reportUsage(remainingMs: () => number = () => Number.POSITIVE_INFINITY) {
  const result = { reported: 0, settled: 0, failed: 0 };
  if (config.BILLING !== 'stripe') return result;
  for (let shard = 0; shard < REFRESH_SHARDS; shard++) {
    for (const u of await store.unreportedUsage(shard, PAGE)) {
      if (remainingMs() < 5_000) return result;
      try {
        result[await reportOne(u)] += 1;
      } catch (err) {
        result.failed += 1;
        logger.warn('Usage report failed; retried next run', { error: (err as Error).name, month: u.month });
      }
    }
  }
  return result;
}

/** The identifier of the report that starts at `baseline` calls: the same on every retry of it. */
export const reportIdentifier = (u: Pick<UsageRecord, 'tenant_id' | 'month'>, baseline: number) =>
  `vault-usage-${u.tenant_id}-${u.month}-${baseline}`;

async function reportOne(u: UsageRecord): Promise<'reported' | 'settled'> {
  const account = await store.getAccount(u.tenant_id);
  let id = u.pending_report_id;
  let value = u.pending_report_value ?? 0;
  if (!account?.customer_id || (!id && u.api_calls <= u.reported)) {
    // No Stripe customer (default plan, never billed), or nothing new: nothing to send.
    await store.settleWithoutReport(u);
    return 'settled';
  }
  if (!id) {
    id = reportIdentifier(u, u.reported);
    value = u.api_calls - u.reported;
    if (!(await store.beginReport(u, id, value))) return 'settled';
  }
  const s = await stripe();
  try {
    await s.billing.meterEvents.create(
      {
        event_name: config.STRIPE_METER_EVENT_NAME,
        identifier: id,
        payload: { stripe_customer_id: account.customer_id, value: String(value) },
      },
      { idempotencyKey: id },
    );
  } catch (err) {
    // Stripe already holds an event with this identifier: an earlier attempt got through.
    if ((err as { code?: string }).code !== 'resource_already_exists') throw err;
  }
  await store.completeReport(u, id, value);
  return 'reported';
}
