import { hasScope } from '../../lib/auth/api-keys.js';
import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { forceRefresh } from '../../lib/refresh/engine.js';
import { toTokenView, withSecrets } from '../../lib/tokens/service.js';
import { tokenRoutes } from './routes.js';

// tokens:write may refresh, but only a key that may also read gets the secrets back.
export const handler = route(tokenRoutes.refreshToken, async ({ auth, params }) => {
  const token = await forceRefresh(auth.tenantId, params.id);
  return ok(hasScope(auth, 'tokens:read') ? await withSecrets(token) : toTokenView(token));
});
