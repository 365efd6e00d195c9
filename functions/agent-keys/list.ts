import { listAgentKeys } from '../../lib/agent-keys/service.js';
import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { proxyRoutes } from '../proxy/routes.js';

export const handler = route(proxyRoutes.listAgentKeys, async ({ auth, query }) =>
  ok(await listAgentKeys(auth.tenantId, query.limit, query.cursor)),
);
