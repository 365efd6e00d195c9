import { createAgentKey } from '../../lib/agent-keys/service.js';
import { created } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { proxyRoutes } from '../proxy/routes.js';

export const handler = route(proxyRoutes.createAgentKey, async ({ auth, body, audit }) =>
  created(await createAgentKey(auth, body, audit)),
);
