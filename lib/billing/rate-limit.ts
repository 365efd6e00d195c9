import { config } from '../config.js';

/**
 * The tenant's plan rate (requests per second) for the rate limiter, or undefined when billing is
 * off (the limiter's own defaults apply). Served from the billing cache: no round trip when warm.
 */
export async function planRateLimit(tenantId: string): Promise<number | undefined> {
  if (config.BILLING !== 'stripe') return undefined;
  const { snapshot } = await import('./state.js');
  return (await snapshot(tenantId)).plan.limits.rate_limit_per_second ?? undefined;
}
