import { callerRoute, proxyRequestOf, toResult } from '../../lib/proxy/route.js';
import { proxyCall } from '../../lib/proxy/service.js';
import { proxyRoutes } from './routes.js';

export const handler = callerRoute(proxyRoutes.proxy, { apiKeys: true }, async ({ caller, event }) =>
  toResult(await proxyCall(caller, proxyRequestOf(event))),
);
