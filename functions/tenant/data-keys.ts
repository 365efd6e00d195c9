import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { listDataKeys } from '../../lib/keyring/service.js';
import { dataKeyRoutes } from './data-key-routes.js';

export const handler = route(dataKeyRoutes.listDataKeys, async ({ auth }) =>
  ok(await listDataKeys(auth.tenantId)),
);
