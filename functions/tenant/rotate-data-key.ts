import { rotateDataKey } from '../../lib/auth/tenants.js';
import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { routes } from '../routes.js';

export const handler = route(routes.rotateDataKey, async ({ auth }) =>
  ok(await rotateDataKey(auth.tenantId)),
);
