import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { getFreshToken } from '../../lib/refresh/on-demand.js';
import { withSecrets } from '../../lib/tokens/service.js';
import { tokenRoutes } from './routes.js';

export const handler = route(tokenRoutes.getToken, async ({ auth, params }) =>
  ok(await withSecrets(await getFreshToken(auth.tenantId, params.id))),
);
