import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { toWebhookView, updateWebhook } from '../../lib/webhooks/service.js';
import { webhookRoutes } from './routes.js';

export const handler = route(webhookRoutes.updateWebhook, async ({ auth, params, body, audit }) =>
  ok(toWebhookView(await updateWebhook(auth.tenantId, params.id, body, audit))),
);
