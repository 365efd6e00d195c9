import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { getWebhook, toWebhookView } from '../../lib/webhooks/service.js';
import { webhookRoutes } from './routes.js';

export const handler = route(webhookRoutes.getWebhook, async ({ auth, params }) =>
  ok(toWebhookView(await getWebhook(auth.tenantId, params.id))),
);
