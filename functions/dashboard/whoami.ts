import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { dashboardRoutes } from './routes.js';

export const handler = route(dashboardRoutes.getDashboardSession, async ({ auth }) =>
  ok({ tenant_id: auth.tenantId, key_id: auth.keyId, scopes: auth.scopes }),
);
