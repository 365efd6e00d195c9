import { created } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { createToken, toTokenView } from '../../lib/tokens/service.js';
import { tokenRoutes } from './routes.js';

export const handler = route(tokenRoutes.createToken, async ({ auth, body, audit }) => {
  const token = await createToken(auth.tenantId, body, audit);
  return created(toTokenView(token), `/v1/tokens/${token.id}`);
});
