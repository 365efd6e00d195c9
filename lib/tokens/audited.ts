import { requestAuditContext } from '../audit/context.js';
import { auditEvent, auditedTokenRead, recordOrRefuse } from '../audit/service.js';
import { type AuthContext, hasScope } from '../auth/api-keys.js';
import type { VaultEvent } from '../http/middleware.js';
import { forceRefresh } from '../refresh/engine.js';
import { getFreshToken } from '../refresh/on-demand.js';
import { toView, withSecrets } from './service.js';

// The requests that hand out a token's secrets, each recorded as `token.read` first (fail closed).

/** GET /v1/tokens/{id}: the event is written in parallel with the read (one extra write, no extra wait). */
export async function readToken(auth: AuthContext, id: string, event: VaultEvent) {
  const token = await auditedTokenRead(auth.tenantId, id, requestAuditContext(event, auth), () =>
    getFreshToken(auth.tenantId, id),
  );
  return withSecrets(token);
}

/** POST /v1/tokens/{id}/refresh: tokens:write may refresh; only a key that may also read gets the secrets. */
export async function refreshToken(auth: AuthContext, id: string, event: VaultEvent) {
  const token = await forceRefresh(auth.tenantId, id);
  if (!hasScope(auth, 'tokens:read')) return toView(token);
  const target = { type: 'token' as const, id, provider: token.provider, key: token.key };
  await recordOrRefuse(auth.tenantId, auditEvent(requestAuditContext(event, auth), 'token.read', target));
  return withSecrets(token);
}
