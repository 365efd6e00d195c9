import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { readToken } from '../../lib/tokens/audited.js';
import { routes } from '../routes.js';

export const handler = route(routes.getToken, async ({ auth, params, event }) =>
  ok(await readToken(auth, params.id, event)),
);
