import { billingPortal } from '../../lib/billing/api.js';
import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { publicBaseUrl } from '../../lib/public-url.js';
import { billingRoutes } from './routes.js';

export const handler = route(billingRoutes.billingPortal, async ({ auth, query, event }) =>
  ok(await billingPortal(auth.tenantId, query.return_url ?? `${publicBaseUrl(event)}/`)),
);
