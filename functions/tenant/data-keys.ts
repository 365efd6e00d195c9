import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { listDataKeys } from '../../lib/keyring/service.js';
import { routes } from '../routes.js';

export const handler = route(routes.listDataKeys, async ({ auth }) => ok(await listDataKeys(auth.tenantId)));
