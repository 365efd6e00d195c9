import { noContent } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { deleteToken } from '../../lib/tokens/service.js';
import { tokenRoutes } from './routes.js';

export const handler = route(tokenRoutes.deleteToken, async ({ auth, params, audit }) => {
  await deleteToken(auth.tenantId, params.id, audit);
  return noContent();
});
