import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { getWebhook, toView } from '../../lib/webhooks/service.js';
import { routes } from '../routes.js';

export const handler = route(routes.getWebhook, async ({ auth, params }) =>
  ok(toView(await getWebhook(auth.tenantId, params.id))),
);
