import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { getFreshToken } from '../../lib/refresh/on-demand.js';
import { withSecrets } from '../../lib/tokens/service.js';
import { routes } from '../routes.js';

export const handler = route(routes.getToken, async ({ auth, params }) =>
  ok(await withSecrets(await getFreshToken(auth.tenantId, params.id))),
);
