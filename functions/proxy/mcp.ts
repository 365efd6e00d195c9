import { handleMcp } from '../../lib/mcp/server.js';
import { callerRoute } from '../../lib/proxy/route.js';
import { proxyRoutes } from './routes.js';

export const handler = callerRoute(proxyRoutes.mcp, { apiKeys: false }, async ({ caller, event }) =>
  // callerRoute lets only agent keys through here.
  caller.kind === 'agent' ? handleMcp(caller, event) : { statusCode: 403 },
);
