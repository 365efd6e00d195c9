import { listAgentKeys } from '../../lib/agent-keys/service.js';
import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { routes } from '../routes.js';

export const handler = route(routes.listAgentKeys, async ({ auth, query }) =>
  ok(await listAgentKeys(auth.tenantId, query.limit, query.cursor)),
);
