import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { forceRefresh } from '../../lib/refresh/engine.js';
import { withSecrets } from '../../lib/tokens/service.js';
import { routes } from '../routes.js';

export const handler = route(routes.refreshToken, async ({ auth, params }) =>
  ok(await withSecrets(await forceRefresh(auth.tenantId, params.id))),
);
