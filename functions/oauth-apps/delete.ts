import { noContent } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { deleteOAuthApp } from '../../lib/providers/app-views.js';
import { oauthAppRoutes } from './routes.js';

export const handler = route(oauthAppRoutes.deleteOAuthApp, async ({ auth, params, audit }) => {
  await deleteOAuthApp(auth.tenantId, params.provider, audit);
  return noContent();
});
