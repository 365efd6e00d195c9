import { auditedTokenRead } from '../audit/service.js';
import type { AuditContext } from '../audit/types.js';
import type { AuthContext } from '../auth/api-keys.js';
import { withSecrets } from '../tokens/service.js';
import { getFreshToken } from './on-demand.js';

// GET /v1/tokens/{id}: hands out a token's secrets, recorded as `token.read` (fail closed). Apart
// from the forced refresh (lib/refresh/forced.ts) so that GetToken's bundle holds no OAuth client.

/** The event is written in parallel with the read (one extra write, no extra wait). */
export async function readToken(auth: AuthContext, id: string, ctx: AuditContext) {
  const token = await auditedTokenRead(auth.tenantId, id, ctx, () => getFreshToken(auth.tenantId, id));
  return withSecrets(token);
}
