import { json } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { retryDelivery, toDeliveryView } from '../../lib/webhooks/service.js';
import { webhookRoutes } from './routes.js';

export const handler = route(webhookRoutes.retryWebhookDelivery, async ({ auth, params, audit }) =>
  json(202, toDeliveryView(await retryDelivery(auth.tenantId, params.id, params.delivery_id, audit))),
);
