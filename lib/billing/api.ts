import type { AuditContext } from '../audit/types.js';
import { config } from '../config.js';
import { NotFoundError } from '../errors.js';

// What the billing routes call. With billing off they answer 404 and load nothing of Stripe; the
// service (and the SDK) is imported only when BILLING=stripe.

async function service() {
  if (config.BILLING !== 'stripe') throw new NotFoundError('Billing is not enabled on this vault.');
  return import('./service.js');
}

export const billingUsage = async (tenantId: string) => (await service()).usageOf(tenantId);
export const billingSubscription = async (tenantId: string) => (await service()).subscriptionOf(tenantId);
export const billingCheckout = async (
  tenantId: string,
  input: import('./schemas.js').CheckoutInput,
  baseUrl: string,
) => (await service()).createCheckout(tenantId, input, baseUrl);
export const billingPortal = async (tenantId: string, returnUrl: string) =>
  (await service()).createPortal(tenantId, returnUrl);
export const stripeEvent = async (rawBody: string, signature: string | undefined, ctx: AuditContext) =>
  (await service()).handleStripeEvent(rawBody, signature, ctx);
export const reportUsage = async (remainingMs: () => number) => {
  if (config.BILLING !== 'stripe') return { reported: 0, settled: 0, failed: 0 };
  return (await import('./report.js')).reportUsage(remainingMs);
};
