import * as z from 'zod';
import { isoTime, listOf, pageQuery } from '../schemas.js';
import { AUDIT_ACTIONS, AUDIT_TARGET_TYPES } from './types.js';

// GET /v1/audit-events: query and response shapes (bounded, like every schema here).

const toUtc = (s: string) => new Date(s).toISOString();

export const listAuditQuery = z.strictObject({
  ...pageQuery,
  action: z.enum(AUDIT_ACTIONS).optional().describe('Only this action.'),
  target_id: z.string().min(1).max(64).optional().describe("Only events on this object's id."),
  actor_id: z.string().min(1).max(64).optional().describe("Only this API key's events."),
  since: isoTime.transform(toUtc).optional().describe('Events at or after this time (ISO 8601).'),
  until: isoTime.transform(toUtc).optional().describe('Events before this time (ISO 8601).'),
});
export type ListAuditQuery = z.output<typeof listAuditQuery>;

const actorSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('api_key'), id: z.string(), name: z.string() }),
  z.object({ type: z.literal('system'), name: z.string() }),
  z.object({ type: z.literal('registration') }),
]);

export const auditEventSchema = z
  .object({
    id: z.string(),
    time: isoTime,
    action: z.enum(AUDIT_ACTIONS),
    actor: actorSchema,
    target: z.object({
      type: z.enum(AUDIT_TARGET_TYPES),
      id: z.string(),
      provider: z.string().optional(),
      key: z.string().optional(),
    }),
    outcome: z.enum(['success', 'denied', 'error']),
    request_id: z.string().nullable(),
    source_ip: z.string().nullable(),
    user_agent: z.string().nullable(),
  })
  .meta({ id: 'AuditEvent', description: 'Who did what to which object, when, from where. Never a secret.' });

export const auditEventList = listOf(auditEventSchema);
