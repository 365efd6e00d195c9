import { auditEvent, recordOrRefuse } from '../audit/service.js';
import type { AuditContext } from '../audit/types.js';
import { type AuthContext, hasScope } from '../auth/api-keys.js';
import { toTokenView, withSecrets } from '../tokens/service.js';
import { forceRefresh } from './engine.js';

/**
 * POST /v1/tokens/{id}/refresh: tokens:write may refresh; only a key that may also read gets the
 * secrets, and that hand-out is recorded as `token.read` first (fail closed).
 */
export async function refreshToken(auth: AuthContext, id: string, ctx: AuditContext) {
  const token = await forceRefresh(auth.tenantId, id, ctx);
  if (!hasScope(auth, 'tokens:read')) return toTokenView(token);
  const target = { type: 'token' as const, id, provider: token.provider, key: token.key };
  await recordOrRefuse(auth.tenantId, auditEvent(ctx, 'token.read', target));
  return withSecrets(token);
}
