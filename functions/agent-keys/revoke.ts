import { revokeAgentKey } from '../../lib/agent-keys/service.js';
import { noContent } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { proxyRoutes } from '../proxy/routes.js';

export const handler = route(proxyRoutes.revokeAgentKey, async ({ auth, params, audit }) => {
  await revokeAgentKey(auth.tenantId, params.id, audit);
  return noContent();
});
