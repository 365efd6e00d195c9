import { webhookPlanCap } from '../../lib/billing/quota.js';
import { created } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { createWebhook, toView } from '../../lib/webhooks/service.js';
import { routes } from '../routes.js';

export const handler = route(routes.createWebhook, async ({ auth, body }) => {
  const { webhook, secret } = await createWebhook(auth.tenantId, body, await webhookPlanCap(auth.tenantId));
  return created({ ...toView(webhook), secret }, `/v1/webhooks/${webhook.id}`);
});
