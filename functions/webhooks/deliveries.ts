import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { listDeliveries, toDeliveryView } from '../../lib/webhooks/service.js';
import { webhookRoutes } from './routes.js';

export const handler = route(webhookRoutes.listWebhookDeliveries, async ({ auth, params, query }) => {
  const page = await listDeliveries(auth.tenantId, params.id, query);
  return ok({ data: page.items.map(toDeliveryView), next_cursor: page.next_cursor });
});
