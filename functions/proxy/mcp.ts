import { handleMcp } from '../../lib/mcp/server.js';
import { callerRoute } from '../../lib/proxy/route.js';
import { routes } from '../routes.js';

export const handler = callerRoute(routes.mcp, { apiKeys: false }, async ({ caller, event }) =>
  // callerRoute lets only agent keys through here.
  caller.kind === 'agent' ? handleMcp(caller, event) : { statusCode: 403 },
);
