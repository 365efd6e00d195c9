import { register } from '../../lib/auth/tenants.js';
import { auditContext } from '../../lib/http/audit-context.js';
import { created } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { authRoutes } from './routes.js';

export const handler = route(authRoutes.register, async ({ body, event }) =>
  created(
    await register(
      body,
      event.headers['x-registration-secret'],
      auditContext(event, { type: 'registration' }),
    ),
  ),
);
