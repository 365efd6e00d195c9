import { json } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { sendTest } from '../../lib/webhooks/service.js';
import { webhookRoutes } from './routes.js';

export const handler = route(webhookRoutes.testWebhook, async ({ auth, params, audit }) =>
  json(202, await sendTest(auth.tenantId, params.id, audit)),
);
