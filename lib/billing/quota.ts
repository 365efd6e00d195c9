import { config } from '../config.js';
import type { TransactGuard } from '../store/tokens.js';

// Write limits, checked where the writes happen. Loaded code and table reads only when
// BILLING=stripe.

const seeded = new Set<string>();

async function ensureCounter(tenantId: string): Promise<void> {
  if (seeded.has(tenantId)) return;
  const store = await import('../store/billing.js');
  if ((await store.getTokenCount(tenantId)) === null) await store.seedTokenCount(tenantId);
  seeded.add(tenantId);
}

/** For a token insert: the counter increment, conditional on the plan's `tokens` limit. */
export async function tokenInsertGuard(tenantId: string): Promise<TransactGuard | undefined> {
  if (config.BILLING !== 'stripe') return undefined;
  const [store, { snapshot, overLimit }] = await Promise.all([
    import('../store/billing.js'),
    import('./state.js'),
  ]);
  await ensureCounter(tenantId);
  const { plan } = await snapshot(tenantId);
  return {
    item: store.tokenCountIncrement(tenantId, plan.limits.tokens),
    refuse: async () => {
      throw overLimit(plan, 'tokens', (await store.getTokenCount(tenantId)) ?? 0, 'stored tokens');
    },
  };
}

/** For a token delete: the counter decrement. */
export async function tokenDeleteItems(tenantId: string): Promise<Record<string, unknown>[]> {
  if (config.BILLING !== 'stripe') return [];
  const store = await import('../store/billing.js');
  await ensureCounter(tenantId);
  return [store.tokenCountDecrement(tenantId)];
}

/** Webhook endpoints: checked against the count read just before the write (not atomic). */
export async function checkWebhookQuota(tenantId: string, existing: number): Promise<void> {
  if (config.BILLING !== 'stripe') return;
  const { snapshot, overLimit } = await import('./state.js');
  const { plan } = await snapshot(tenantId);
  if (plan.limits.webhooks !== null && existing >= plan.limits.webhooks)
    throw overLimit(plan, 'webhooks', existing, 'webhook endpoints');
}
