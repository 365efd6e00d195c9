import * as z from 'zod';
import { isoTime } from '../schemas.js';

// Request and response shapes of the billing routes.

const returnUrl = z.url({ protocol: /^https?$/ }).max(2048);

export const checkoutBody = z
  .strictObject({
    plan: z.string().min(1).max(40).describe('A plan id with a Stripe price.'),
    success_url: returnUrl
      .optional()
      .describe("Where Stripe sends the browser after paying; default: the vault's base URL."),
    cancel_url: returnUrl
      .optional()
      .describe('Where Stripe sends the browser on cancel; default: as success_url.'),
  })
  .meta({ id: 'CheckoutRequest' });

export const portalBody = z.strictObject({ return_url: returnUrl.optional() }).meta({ id: 'PortalRequest' });

export const sessionUrl = z.object({ url: z.url() }).meta({ id: 'BillingSessionUrl' });

const limits = z.object({
  tokens: z.number().int().nullable(),
  api_calls_per_month: z.number().int().nullable(),
  webhooks: z.number().int().nullable(),
  rate_limit_per_second: z.number().nullable(),
});
export const planView = z
  .object({ id: z.string(), name: z.string(), limits: limits.describe('null: unlimited') })
  .meta({ id: 'Plan' });

export const subscriptionView = z
  .object({
    plan: planView,
    status: z.string().describe('`none` without a subscription, else Stripe’s subscription status.'),
    current_period_start: isoTime.nullable(),
    current_period_end: isoTime.nullable(),
    cancel_at_period_end: z.boolean(),
    payment_failed_since: isoTime.nullable(),
    read_only_from: isoTime.nullable().describe('When writes stop (402) unless paid.'),
    read_only: z.boolean(),
  })
  .meta({ id: 'Subscription' });

const counter = z.object({ used: z.number().int(), limit: z.number().int().nullable() });
export const usageView = z
  .object({
    plan: planView,
    month: z.string().describe('YYYY-MM (UTC).'),
    tokens: counter,
    webhooks: counter,
    api_calls_per_month: counter.describe(
      'Counted per process and written every few seconds: see the README.',
    ),
  })
  .meta({ id: 'Usage' });

export const stripeEventResult = z.object({ received: z.literal(true), duplicate: z.boolean() });

export type CheckoutInput = z.output<typeof checkoutBody>;
export type PortalInput = z.output<typeof portalBody>;
