import { signOut } from '../../lib/auth/sessions.js';
import { requestAuditContext } from '../../lib/http/audit-context.js';
import { noContent } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { dashboardRoutes } from './routes.js';

export const handler = route(dashboardRoutes.deleteDashboardSession, async ({ event }) => {
  const res = noContent();
  return {
    ...res,
    headers: {
      ...res.headers,
      'Set-Cookie': await signOut(event, (auth) => requestAuditContext(event, auth)),
    },
  };
});
