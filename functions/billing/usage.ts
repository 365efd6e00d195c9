import { billingUsage } from '../../lib/billing/api.js';
import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { billingRoutes } from './routes.js';

export const handler = route(billingRoutes.billingUsage, async ({ auth }) =>
  ok(await billingUsage(auth.tenantId)),
);
