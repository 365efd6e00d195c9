import type { AuditActor, AuditContext } from '../audit/types.js';
import type { AuthContext } from '../auth/api-keys.js';
import type { VaultEvent } from './middleware.js';

// Built once per request. A dashboard session acts for the admin key it was opened with
// (lib/auth/sessions.ts resolves it to that key's AuthContext), so its actor is that api_key.

const MAX_USER_AGENT = 512;

export const apiKeyActor = (auth: AuthContext): AuditActor => ({
  type: 'api_key',
  id: auth.keyId,
  name: auth.name ?? '',
});

export function auditContext(event: VaultEvent, actor: AuditActor): AuditContext {
  const http = event.requestContext?.http;
  const ua = http?.userAgent ?? event.headers?.['user-agent'];
  return {
    actor,
    // The id the response's X-Request-Id carries (the audit middleware keeps it on the event).
    request_id: event.vault?.requestId ?? event.requestContext?.requestId ?? null,
    source_ip: http?.sourceIp ?? null,
    user_agent: ua ? ua.slice(0, MAX_USER_AGENT) : null,
  };
}

export const requestAuditContext = (event: VaultEvent, auth: AuthContext): AuditContext =>
  auditContext(event, apiKeyActor(auth));
