import { existsSync, readFileSync } from 'node:fs';
import * as z from 'zod';
import { config } from '../config.js';

// Plans: from BILLING_PLANS (JSON, or a path to a JSON file) or the built-in free/pro pair.
// Exactly one plan has no Stripe price: the default for tenants without a subscription.

const limit = z.number().int().min(0).nullable(); // null: unlimited
const planSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/),
  name: z.string().min(1).max(100),
  stripe_price_id: z.string().min(1).optional(),
  limits: z.strictObject({
    tokens: limit,
    api_calls_per_month: limit,
    webhooks: limit,
    rate_limit_per_second: z.number().positive().nullable(),
  }),
});
const plansSchema = z
  .array(planSchema)
  .min(1)
  .refine((ps) => ps.filter((p) => !p.stripe_price_id).length === 1, {
    message: 'exactly one plan must have no stripe_price_id (the default plan)',
  })
  .refine((ps) => new Set(ps.map((p) => p.id)).size === ps.length, { message: 'plan ids must be unique' })
  .refine((ps) => new Set(ps.map((p) => p.stripe_price_id ?? '')).size === ps.length, {
    message: 'stripe_price_id values must be unique',
  });

export type Plan = z.infer<typeof planSchema>;
export type LimitName = keyof Plan['limits'];

/** Used when BILLING_PLANS is unset. `pro`'s price is STRIPE_PRO_PRICE_ID (Stripe makes price ids). */
export function builtInPlans(proPriceId = config.STRIPE_PRO_PRICE_ID): Plan[] {
  return [
    {
      id: 'free',
      name: 'Free',
      limits: { tokens: 100, api_calls_per_month: 10_000, webhooks: 2, rate_limit_per_second: 5 },
    },
    {
      id: 'pro',
      name: 'Pro',
      stripe_price_id: proPriceId,
      limits: { tokens: 10_000, api_calls_per_month: 1_000_000, webhooks: 20, rate_limit_per_second: 50 },
    },
  ];
}

/** Parses a plan list (JSON text, or a path to a file holding it); throws naming BILLING_PLANS. */
export function parsePlans(source: string | undefined): Plan[] {
  if (source === undefined) return builtInPlans();
  const text = source.trim().startsWith('[') || !existsSync(source) ? source : readFileSync(source, 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error('Invalid configuration:\n  BILLING_PLANS: neither JSON nor a readable JSON file');
  }
  const result = plansSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map(
      (i) => `  BILLING_PLANS${i.path.map((p) => `[${String(p)}]`).join('')}: ${i.message}`,
    );
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

let loaded: Plan[] | undefined;
/** The configured plans, parsed once. */
export function plans(): Plan[] {
  loaded ??= parsePlans(config.BILLING_PLANS);
  return loaded;
}
export const defaultPlan = (): Plan => plans().find((p) => !p.stripe_price_id) as Plan;
export const planById = (id: string): Plan | undefined => plans().find((p) => p.id === id);
export const planByPrice = (priceId: string): Plan | undefined =>
  plans().find((p) => p.stripe_price_id === priceId);
