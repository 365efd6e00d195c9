import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { listOAuthApps, toOAuthAppView } from '../../lib/providers/app-views.js';
import { callbackUrl } from '../../lib/public-url.js';
import { oauthAppRoutes } from './routes.js';

export const handler = route(oauthAppRoutes.listOAuthApps, async ({ auth, query, event }) => {
  const page = await listOAuthApps(auth.tenantId, query.limit, query.cursor);
  return ok({
    data: page.items.map((a) => toOAuthAppView(a, callbackUrl(event))),
    next_cursor: page.next_cursor,
  });
});
