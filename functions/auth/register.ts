import { register } from '../../lib/auth/tenants.js';
import { created } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { routes } from '../routes.js';

export const handler = route(routes.register, async ({ body, event }) =>
  created(await register(body, event.headers['x-registration-secret'])),
);
