// The audit trail's model (issue 11): who did what to which object, when, from where, and how it
// ended. An event never holds a secret; a value that must be correlatable is an HMAC (lib/audit/hmac.ts).

/** Every action the vault records. Declared in full now; later rounds add the writers of the changes. */
export const AUDIT_ACTIONS = [
  'token.read',
  'token.create',
  'token.update',
  'token.delete',
  'token.refresh',
  'api_key.create',
  'api_key.revoke',
  'agent_key.create',
  'agent_key.revoke',
  'oauth_app.create',
  'oauth_app.delete',
  'webhook.create',
  'webhook.update',
  'webhook.delete',
  'webhook.rotate_secret',
  'webhook.disable',
  'webhook.test',
  'webhook.retry_delivery',
  'connect.session_create',
  'connect.exchange',
  'tenant.register',
  'data_key.rotate',
  'data_key.reencrypt',
  'data_key.retire',
  'dashboard.sign_in',
  'dashboard.sign_out',
  'billing.update',
  'audit.list',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_TARGET_TYPES = [
  'token',
  'api_key',
  'agent_key',
  'oauth_app',
  'webhook',
  'connect_session',
  'tenant',
  'data_key',
  'session',
] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

export type AuditActor =
  | { type: 'api_key'; id: string; name: string }
  | { type: 'system'; name: string }
  | { type: 'registration' };

export interface AuditTarget {
  type: AuditTargetType;
  id: string;
  provider?: string;
  key?: string;
}

export type AuditOutcome = 'success' | 'denied' | 'error';

export interface AuditEvent {
  id: string;
  /** ISO 8601, UTC, milliseconds. */
  time: string;
  action: AuditAction;
  actor: AuditActor;
  target: AuditTarget;
  outcome: AuditOutcome;
  request_id: string | null;
  source_ip: string | null;
  user_agent: string | null;
}

/** Who is asking, from where: built once per request (lib/audit/context.ts), copied into each event. */
export interface AuditContext {
  actor: AuditActor;
  request_id: string | null;
  source_ip: string | null;
  user_agent: string | null;
}
