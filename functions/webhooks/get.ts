import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { getWebhook, toView } from '../../lib/webhooks/service.js';
import { webhookRoutes } from './routes.js';

export const handler = route(webhookRoutes.getWebhook, async ({ auth, params }) =>
  ok(toView(await getWebhook(auth.tenantId, params.id))),
);
