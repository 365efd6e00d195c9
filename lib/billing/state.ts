import { config } from '../config.js';
import { PaymentRequiredError } from '../errors.js';
import { logger } from '../observability.js';
import { addCalls, type BillingAccount, getAccount, getUsage } from '../store/billing.js';
import { defaultPlan, type LimitName, type Plan, planById } from './plans.js';

// The billing hot path, per process: each tenant's plan and month-to-date usage cached for
// BILLING_CACHE_SECONDS (re-read in the background once stale, so a warm call waits on no
// DynamoDB round trip), and calls counted in memory, written at most once per tenant per
// BILLING_FLUSH_SECONDS, in the background. No Stripe code here.

export interface Snapshot {
  plan: Plan;
  account: BillingAccount | null;
  month: string;
  /** Calls of `month` already in the table, as last seen by this process. */
  storedCalls: number;
  loadedAt: number;
}

export const monthOf = (ms = Date.now()) => new Date(ms).toISOString().slice(0, 7);

export const effectivePlan = (a: BillingAccount | null): Plan =>
  (a?.plan_id ? planById(a.plan_id) : undefined) ?? defaultPlan();

/** Read-only: payment has been failing for longer than the grace period. */
export function isReadOnly(a: BillingAccount | null, now = Date.now()): boolean {
  if (!a?.delinquent_since) return false;
  return now >= Date.parse(a.delinquent_since) + config.BILLING_GRACE_DAYS * 86_400_000;
}

const snapshots = new Map<string, Snapshot>();
const loading = new Map<string, Promise<Snapshot>>();
const MAX_TENANTS = 10_000;

async function load(tenantId: string): Promise<Snapshot> {
  // Reads and this process's own flushes never overlap (startFlush waits while a load runs), so
  // the stored total plus what is counted here is exact for this process.
  await flushing.get(tenantId);
  const month = monthOf();
  const [account, usage] = await Promise.all([getAccount(tenantId), getUsage(tenantId, month)]);
  // A read can predate (or, eventually consistent, miss) this process's own latest flush.
  const known = flushedTotal.get(tenantId);
  const s: Snapshot = {
    plan: effectivePlan(account),
    account,
    month,
    storedCalls: Math.max(usage.api_calls, known?.month === month ? known.total : 0),
    loadedAt: Date.now(),
  };
  if (snapshots.size >= MAX_TENANTS && !snapshots.has(tenantId))
    snapshots.delete(snapshots.keys().next().value as string);
  snapshots.set(tenantId, s);
  return s;
}

function reload(tenantId: string): Promise<Snapshot> {
  let p = loading.get(tenantId);
  if (!p) {
    p = load(tenantId).finally(() => loading.delete(tenantId));
    loading.set(tenantId, p);
  }
  return p;
}

/** The tenant's plan and usage: cached; a stale entry is served while a re-read runs. */
export async function snapshot(tenantId: string): Promise<Snapshot> {
  const s = snapshots.get(tenantId);
  const ttl = config.BILLING_CACHE_SECONDS * 1000;
  if (!s || ttl === 0 || s.month !== monthOf()) return reload(tenantId);
  if (Date.now() - s.loadedAt >= ttl) {
    reload(tenantId).catch((err: unknown) =>
      logger.warn('Billing state re-read failed', { error: (err as Error).name }),
    );
  }
  return s;
}

/** After a billing change in this process: the next call re-reads. */
export function forget(tenantId: string): void {
  snapshots.delete(tenantId);
}

// --- Counting ----------------------------------------------------------------------------------

const unflushed = new Map<string, { month: string; n: number }>();
const inFlight = new Map<string, number>();
const lastFlush = new Map<string, number>();
/** The month's total as this process's last flush returned it. */
const flushedTotal = new Map<string, { month: string; total: number }>();
const flushing = new Map<string, Promise<void>>();

/** This month's calls as this process knows them: stored, plus counted here and not yet stored. */
export function callsSoFar(tenantId: string, s: Snapshot): number {
  const u = unflushed.get(tenantId);
  return s.storedCalls + (u?.month === s.month ? u.n : 0) + (inFlight.get(tenantId) ?? 0);
}

export function countCall(tenantId: string): void {
  const month = monthOf();
  let u = unflushed.get(tenantId);
  if (u && u.month !== month) {
    // Last month's count: written on its own (it no longer matters for limits).
    unflushed.delete(tenantId);
    const old = u;
    addCalls(tenantId, old.month, old.n).catch((err: unknown) =>
      logger.warn('Usage flush of the previous month failed', { error: (err as Error).name, n: old.n }),
    );
    u = undefined;
  }
  if (!u) {
    u = { month, n: 0 };
    unflushed.set(tenantId, u);
  }
  u.n += 1;
  const last = lastFlush.get(tenantId);
  if (last === undefined || Date.now() - last >= config.BILLING_FLUSH_SECONDS * 1000) startFlush(tenantId);
}

function startFlush(tenantId: string): void {
  const u = unflushed.get(tenantId);
  if (!u || u.n === 0 || flushing.has(tenantId) || loading.has(tenantId)) return;
  unflushed.delete(tenantId);
  lastFlush.set(tenantId, Date.now());
  inFlight.set(tenantId, u.n);
  const run = addCalls(tenantId, u.month, u.n)
    .then((total) => {
      const prev = flushedTotal.get(tenantId);
      if (!prev || prev.month !== u.month || prev.total < total)
        flushedTotal.set(tenantId, { month: u.month, total });
      const s = snapshots.get(tenantId);
      if (s && s.month === u.month) s.storedCalls = Math.max(s.storedCalls, total);
    })
    .catch((err: unknown) => {
      // Put the calls back: the next flush carries them.
      const now = unflushed.get(tenantId);
      if (now && now.month === u.month) now.n += u.n;
      else if (!now) unflushed.set(tenantId, u);
      logger.warn('Usage flush failed; will retry', { error: (err as Error).name });
    })
    .finally(() => {
      inFlight.delete(tenantId);
      flushing.delete(tenantId);
    });
  flushing.set(tenantId, run);
}

/** Writes every count held in memory now (shutdown, tests). */
export async function flushAll(): Promise<void> {
  await Promise.allSettled([...flushing.values(), ...loading.values()]);
  for (const t of [...unflushed.keys()]) startFlush(t);
  await Promise.allSettled([...flushing.values()]);
}

// --- Enforcement -------------------------------------------------------------------------------

export function overLimit(plan: Plan, name: LimitName, usage: number, what: string): PaymentRequiredError {
  const limit = plan.limits[name] as number | null;
  return new PaymentRequiredError(
    `The ${plan.name} plan allows ${limit} ${what}; this tenant has ${usage}. Upgrade with POST /v1/billing/checkout.`,
    { plan: plan.id, limit: name, limit_value: limit, usage, upgrade: '/v1/billing/checkout' },
  );
}

/**
 * Every authenticated call: refused (402) over the monthly call limit or, for writes, when
 * read-only after the grace period; otherwise counted. Billing routes are never refused, so a
 * tenant can always pay.
 */
export async function enforceCall(tenantId: string, opts: { write: boolean; exempt: boolean }) {
  const s = await snapshot(tenantId);
  if (!opts.exempt) {
    if (opts.write && isReadOnly(s.account)) {
      throw new PaymentRequiredError(
        `Payment has failed and the ${config.BILLING_GRACE_DAYS}-day grace period is over: the tenant is read-only until paid. Update the payment method through POST /v1/billing/portal.`,
        { plan: s.plan.id, limit: 'payment', limit_value: null, usage: 0, upgrade: '/v1/billing/portal' },
      );
    }
    const limit = s.plan.limits.api_calls_per_month;
    const calls = callsSoFar(tenantId, s);
    if (limit !== null && calls >= limit)
      throw overLimit(s.plan, 'api_calls_per_month', calls, 'API calls a month');
  }
  countCall(tenantId);
}
