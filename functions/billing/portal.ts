import { billingPortal } from '../../lib/billing/api.js';
import { publicBaseUrl } from '../../lib/http/public-url.js';
import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { routes } from '../routes.js';

export const handler = route(routes.billingPortal, async ({ auth, query, event }) =>
  ok(await billingPortal(auth.tenantId, query.return_url ?? `${publicBaseUrl(event)}/`)),
);
