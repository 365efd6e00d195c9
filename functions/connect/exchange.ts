import { confirmConnection } from '../../lib/connect/service.js';
import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { toTokenView } from '../../lib/tokens/service.js';
import { connectRoutes } from './routes.js';

// The app's backend confirms a connection, after checking the returning browser is its user's.
export const handler = route(connectRoutes.exchangeConnectCode, async ({ auth, body, audit }) =>
  ok(toTokenView(await confirmConnection(auth.tenantId, body.connect_code, audit))),
);
