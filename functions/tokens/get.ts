import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { readToken } from '../../lib/refresh/read.js';
import { tokenRoutes } from './routes.js';

export const handler = route(tokenRoutes.getToken, async ({ auth, params, audit }) =>
  ok(await readToken(auth, params.id, audit)),
);
