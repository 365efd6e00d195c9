import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { rotateSecret, toWebhookView } from '../../lib/webhooks/service.js';
import { webhookRoutes } from './routes.js';

export const handler = route(webhookRoutes.rotateWebhookSecret, async ({ auth, params, audit }) => {
  const { webhook, secret } = await rotateSecret(auth.tenantId, params.id, audit);
  return ok({ ...toWebhookView(webhook), secret });
});
