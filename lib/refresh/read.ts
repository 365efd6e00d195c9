import { auditEvent, auditedTokenRead, recordOrRefuse } from '../audit/service.js';
import type { AuditContext } from '../audit/types.js';
import { type AuthContext, hasScope } from '../auth/api-keys.js';
import { toTokenView, withSecrets } from '../tokens/service.js';
import { forceRefresh } from './engine.js';
import { getFreshToken } from './on-demand.js';

// The requests that hand out a token's secrets, each recorded as `token.read` first (fail closed).

/** GET /v1/tokens/{id}: the event is written in parallel with the read (one extra write, no extra wait). */
export async function readToken(auth: AuthContext, id: string, ctx: AuditContext) {
  const token = await auditedTokenRead(auth.tenantId, id, ctx, () => getFreshToken(auth.tenantId, id));
  return withSecrets(token);
}

/** POST /v1/tokens/{id}/refresh: tokens:write may refresh; only a key that may also read gets the secrets. */
export async function refreshToken(auth: AuthContext, id: string, ctx: AuditContext) {
  const token = await forceRefresh(auth.tenantId, id, ctx);
  if (!hasScope(auth, 'tokens:read')) return toTokenView(token);
  const target = { type: 'token' as const, id, provider: token.provider, key: token.key };
  await recordOrRefuse(auth.tenantId, auditEvent(ctx, 'token.read', target));
  return withSecrets(token);
}
