import { tokenRoutes } from '../functions/tokens/routes.js';
import { readRoute } from '../lib/http/read-route.js';
import { ok } from '../lib/http/responses.js';
import { readToken } from '../lib/refresh/read.js';

// GetToken without its cold-start overlap (no `whileVerifying`: the token and key-ring reads wait
// for the bcrypt compare), for bench/cold-start.ts to show what the overlap saves. Benchmark only.

export const handler = readRoute(tokenRoutes.getToken, async ({ auth, params, audit }) =>
  ok(await readToken(auth, params.id, audit)),
);
