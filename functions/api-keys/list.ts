import { listApiKeys } from '../../lib/auth/api-keys.js';
import { toApiKeyView } from '../../lib/auth/views.js';
import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { apiKeyRoutes } from './routes.js';

export const handler = route(apiKeyRoutes.listApiKeys, async ({ auth, query }) => {
  const page = await listApiKeys(auth.tenantId, query.limit, query.cursor);
  return ok({ data: page.items.map(toApiKeyView), next_cursor: page.next_cursor });
});
