import { rotateDataKey } from '../../lib/auth/tenants.js';
import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { tenantRoutes } from './routes.js';

export const handler = route(tenantRoutes.rotateDataKey, async ({ auth, audit }) =>
  ok(await rotateDataKey(auth.tenantId, audit)),
);
