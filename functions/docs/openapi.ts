import { buildOpenApi } from '../../lib/http/openapi.js';
import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { routeList } from '../routes.js';
import { metaRoutes } from './routes.js';

let doc: Record<string, unknown> | undefined;

export const handler = route(metaRoutes.openapi, async () => {
  doc ??= buildOpenApi(routeList, { title: 'Token Vault API', version: '0.1.0' });
  return ok(doc);
});
