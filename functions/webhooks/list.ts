import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { listWebhooks, toWebhookView } from '../../lib/webhooks/service.js';
import { webhookRoutes } from './routes.js';

export const handler = route(webhookRoutes.listWebhooks, async ({ auth, query }) => {
  const page = await listWebhooks(auth.tenantId, query.limit, query.cursor);
  return ok({ data: page.items.map(toWebhookView), next_cursor: page.next_cursor });
});
