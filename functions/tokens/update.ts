import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { toTokenView, updateToken } from '../../lib/tokens/service.js';
import { tokenRoutes } from './routes.js';

export const handler = route(tokenRoutes.updateToken, async ({ auth, params, body, audit }) =>
  ok(toTokenView(await updateToken(auth.tenantId, params.id, body, audit))),
);
