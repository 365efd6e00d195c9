import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { refreshToken } from '../../lib/refresh/forced.js';
import { tokenRoutes } from './routes.js';

// tokens:write may refresh, but only a key that may also read gets the secrets back (recorded).
export const handler = route(tokenRoutes.refreshToken, async ({ auth, params, audit }) =>
  ok(await refreshToken(auth, params.id, audit)),
);
