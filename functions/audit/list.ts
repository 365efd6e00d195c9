import { listAuditEvents } from '../../lib/audit/service.js';
import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { auditRoutes } from './routes.js';

export const handler = route(auditRoutes.listAuditEvents, async ({ auth, query }) => {
  const { limit, cursor, ...filter } = query;
  const page = await listAuditEvents(auth.tenantId, filter, limit, cursor);
  return ok({ data: page.items, next_cursor: page.next_cursor });
});
