import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { toView, updateWebhook } from '../../lib/webhooks/service.js';
import { routes } from '../routes.js';

export const handler = route(routes.updateWebhook, async ({ auth, params, body }) =>
  ok(toView(await updateWebhook(auth.tenantId, params.id, body))),
);
