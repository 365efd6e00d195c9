import { billingSubscription } from '../../lib/billing/api.js';
import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { billingRoutes } from './routes.js';

export const handler = route(billingRoutes.billingSubscription, async ({ auth }) =>
  ok(await billingSubscription(auth.tenantId)),
);
