import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { PROVIDERS } from '../../lib/providers/catalog.js';
import { providerRoutes } from './routes.js';

export const handler = route(providerRoutes.listProviders, async () => ok({ data: PROVIDERS }));
