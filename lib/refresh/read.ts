import { auditedTokenRead } from '../audit/service.js';
import type { AuditContext } from '../audit/types.js';
import type { AuthContext } from '../auth/api-keys.js';
import { sealedVersion } from '../crypto/envelope.js';
import { dataKeys } from '../keyring/index.js';
import { getToken, type TokenRecord } from '../store/tokens.js';
import { withSecrets } from '../tokens/service.js';
import { getFreshToken } from './on-demand.js';

// GET /v1/tokens/{id}: hands out a token's secrets, recorded as `token.read` (fail closed). Apart
// from the forced refresh (lib/refresh/forced.ts) so that GetToken's bundle holds no OAuth client.

/** The reads GET /v1/tokens/{id} started while its caller's key was being verified. */
export interface TokenReadPrefetch {
  tenantId: string;
  id: string;
  token: Promise<TokenRecord | null>;
}

const ignore = () => undefined;

/**
 * Starts the read's lookups during a cold key check (route()'s `whileVerifying`): the token's
 * GetItem, the tenant's key ring and the data key that opens the token. Reads only: the audit
 * event and anything handed out wait for the verified key. Nothing here is awaited by anyone when
 * the key fails, so no rejection may go unhandled.
 */
export function prefetchTokenRead(tenantId: string, id: unknown): TokenReadPrefetch | undefined {
  if (typeof id !== 'string' || id === '') return undefined;
  const token = getToken(tenantId, id);
  token.catch(ignore);
  dataKeys.warm(tenantId).catch(ignore);
  token.then((t) => t && dataKeys.warm(tenantId, sealedVersion(t.access_token_enc))).catch(ignore);
  return { tenantId, id, token };
}

/** The event is written in parallel with the read (one extra write, no extra wait). */
export async function readToken(auth: AuthContext, id: string, ctx: AuditContext, prefetched?: unknown) {
  const p = prefetched as TokenReadPrefetch | undefined;
  // Only for the tenant and id it was started for (the key's tenant, the validated path id).
  const stored = p && p.tenantId === auth.tenantId && p.id === id ? p.token : undefined;
  const token = await auditedTokenRead(auth.tenantId, id, ctx, () =>
    getFreshToken(auth.tenantId, id, undefined, stored),
  );
  return withSecrets(token);
}
