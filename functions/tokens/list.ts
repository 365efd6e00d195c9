import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { listTokens, toTokenView } from '../../lib/tokens/service.js';
import { tokenRoutes } from './routes.js';

export const handler = route(tokenRoutes.listTokens, async ({ auth, query }) => {
  const page = await listTokens(auth.tenantId, query, query.limit, query.cursor);
  return ok({ data: page.items.map(toTokenView), next_cursor: page.next_cursor });
});
