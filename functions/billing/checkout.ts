import { billingCheckout } from '../../lib/billing/api.js';
import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { publicBaseUrl } from '../../lib/public-url.js';
import { billingRoutes } from './routes.js';

export const handler = route(billingRoutes.billingCheckout, async ({ auth, body, event }) =>
  ok(await billingCheckout(auth.tenantId, body, publicBaseUrl(event))),
);
