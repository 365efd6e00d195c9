import * as z from 'zod';
import { invokeFunction } from '../invoke.js';
import { mustGetToken, type TokenRecord } from '../store/tokens.js';
import { REFRESH_ON_DEMAND } from './function-ids.js';
import { readWantsRefresh } from './rules.js';

// The read path: GET /v1/tokens/{id} reads and decides; when a refresh is due it invokes the
// RefreshOnDemand function, which alone may write the outcome and call the provider. A warm read of
// a fresh token pays nothing for the split: the invoke happens only near expiry.

export { REFRESH_ON_DEMAND };

export const refreshRequest = z.strictObject({ tenant_id: z.string().min(1), token_id: z.string().min(1) });
export type RefreshRequest = z.infer<typeof refreshRequest>;
/** The function's answer: the token as stored after the refresh (secrets still sealed), or null if gone. */
export interface RefreshResponse {
  token: TokenRecord | null;
}

/** Refreshes through the RefreshOnDemand function: what GetToken, which may not write, uses. */
async function invokeRefresh(tenantId: string, tokenId: string): Promise<TokenRecord | null> {
  const out = await invokeFunction<RefreshResponse>(REFRESH_ON_DEMAND, {
    tenant_id: tenantId,
    token_id: tokenId,
  } satisfies RefreshRequest);
  return out.token;
}

/**
 * A token valid for at least the margin when it can be; otherwise the stored one, whose status says
 * why. A function that holds the refresh's rights itself (the proxy) passes the engine's
 * `refreshForRead` as `refreshNow`.
 */
export async function getFreshToken(
  tenantId: string,
  tokenId: string,
  refreshNow: (tenantId: string, tokenId: string) => Promise<TokenRecord | null> = invokeRefresh,
  stored?: Promise<TokenRecord | null>,
): Promise<TokenRecord> {
  // `stored`: the same GetItem, started earlier (lib/refresh/read.ts); a miss reads again for the 404.
  const t = (stored && (await stored)) || (await mustGetToken(tenantId, tokenId));
  if (!readWantsRefresh(t)) return t;
  return (await refreshNow(tenantId, tokenId)) ?? mustGetToken(tenantId, tokenId, true); // gone meanwhile: the 404
}
