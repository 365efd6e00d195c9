import { auditEventList, listAuditQuery } from '../../lib/audit/schemas.js';
import { defineRoute, type VaultRouteDef } from '../defs.js';

// The audit trail's routes; functions/routes.ts folds them into the one route table.

export const auditRoutes = {
  listAuditEvents: defineRoute({
    id: 'ListAuditEvents',
    method: 'GET',
    path: '/v1/audit-events',
    entry: 'functions/audit/list.ts',
    summary: "The tenant's audit trail, newest first",
    tag: 'audit',
    scope: 'admin',
    // Writes only a denied attempt (a key without admin), in the audit partitions.
    access: { table: 'read', kms: [], audit: true },
    query: listAuditQuery,
    responses: { 200: { description: 'A page of audit events', schema: auditEventList } },
    audit: { action: 'audit.list', target: 'tenant' },
  }),
} satisfies Record<string, VaultRouteDef>;
