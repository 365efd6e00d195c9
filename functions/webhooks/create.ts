import { webhookPlanCap } from '../../lib/billing/quota.js';
import { created } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { createWebhook, toWebhookView } from '../../lib/webhooks/service.js';
import { webhookRoutes } from './routes.js';

export const handler = route(webhookRoutes.createWebhook, async ({ auth, body, audit }) => {
  const { webhook, secret } = await createWebhook(
    auth.tenantId,
    body,
    audit,
    await webhookPlanCap(auth.tenantId),
  );
  return created({ ...toWebhookView(webhook), secret }, `/v1/webhooks/${webhook.id}`);
});
