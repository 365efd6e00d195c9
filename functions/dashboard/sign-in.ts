import { signIn } from '../../lib/auth/sessions.js';
import { requestAuditContext } from '../../lib/http/audit-context.js';
import { json } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { dashboardRoutes } from './routes.js';

export const handler = route(dashboardRoutes.createDashboardSession, async ({ body, event }) => {
  const { cookie, view } = await signIn(body.api_key, event, (auth) => requestAuditContext(event, auth));
  return json(201, view, { 'Set-Cookie': cookie });
});
