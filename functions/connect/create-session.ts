import { createSession } from '../../lib/connect/service.js';
import { created } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { callbackUrl } from '../../lib/public-url.js';
import { connectRoutes } from './routes.js';

export const handler = route(connectRoutes.createConnectSession, async ({ auth, body, event, audit }) =>
  created(await createSession(auth.tenantId, body, callbackUrl(event), audit)),
);
