import { config } from '../config.js';
import type { Companion } from '../store/db.js';

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
export async function tokenInsertGuard(tenantId: string): Promise<Companion[]> {
  if (config.BILLING !== 'stripe') return [];
  const [store, { snapshot, overLimit }] = await Promise.all([
    import('../store/billing.js'),
    import('./state.js'),
  ]);
  await ensureCounter(tenantId);
  const { plan } = await snapshot(tenantId);
  return [
    {
      item: store.tokenCountIncrement(tenantId, plan.limits.tokens),
      failed: async () =>
        overLimit(plan, 'tokens', (await store.getTokenCount(tenantId)) ?? 0, 'stored tokens'),
    },
  ];
}

/** For a token delete: the counter decrement. */
export async function tokenDeleteItems(tenantId: string): Promise<Companion[]> {
  if (config.BILLING !== 'stripe') return [];
  const store = await import('../store/billing.js');
  await ensureCounter(tenantId);
  return [{ item: store.tokenCountDecrement(tenantId) }];
}

/** The plan's limit on webhook endpoints: null when billing is off or the plan has none. */
export async function webhookPlanLimit(tenantId: string): Promise<number | null> {
  if (config.BILLING !== 'stripe') return null;
  const { snapshot } = await import('./state.js');
  return (await snapshot(tenantId)).plan.limits.webhooks;
}

/** The plan's cap on webhook endpoints, as lib/webhooks takes it. */
export async function webhookPlanCap(tenantId: string) {
  return { limit: await webhookPlanLimit(tenantId), refuse: (used: number) => refuseWebhook(tenantId, used) };
}

/** The 402 for a tenant at its plan's webhook limit (the counter refused one more). */
export async function refuseWebhook(tenantId: string, used: number): Promise<never> {
  const { snapshot, overLimit } = await import('./state.js');
  const { plan } = await snapshot(tenantId);
  throw overLimit(plan, 'webhooks', used, 'webhook endpoints');
}
