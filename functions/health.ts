import { ok } from '../lib/http/responses.js';
import { route } from '../lib/http/route.js';
import { routes } from './routes.js';

export const handler = route(routes.health, async () => ok({ status: 'ok' }));
