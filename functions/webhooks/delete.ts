import { noContent } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { deleteWebhook } from '../../lib/webhooks/service.js';
import { webhookRoutes } from './routes.js';

export const handler = route(webhookRoutes.deleteWebhook, async ({ auth, params, audit }) => {
  await deleteWebhook(auth.tenantId, params.id, audit);
  return noContent();
});
