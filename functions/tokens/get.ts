import { readRoute } from '../../lib/http/read-route.js';
import { ok } from '../../lib/http/responses.js';
import { prefetchTokenRead, readToken } from '../../lib/refresh/read.js';
import { tokenRoutes } from './routes.js';

export const handler = readRoute(
  tokenRoutes.getToken,
  async ({ auth, params, audit, event }) =>
    ok(await readToken(auth, params.id, audit, event.vault.prefetched)),
  // A cold start's bcrypt compare overlaps the token and key-ring reads and the data key's unwrap.
  { whileVerifying: (tenantId, event) => prefetchTokenRead(tenantId, event.pathParameters?.id) },
);
