import { ok } from '../lib/http/responses.js';
import { route } from '../lib/http/route.js';
import { metaRoutes } from './docs/routes.js';

export const handler = route(metaRoutes.health, async () => ok({ status: 'ok' }));
