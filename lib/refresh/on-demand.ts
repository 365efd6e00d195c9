import { z } from 'zod';
import { invokeFunction } from '../invoke.js';
import { mustGetToken, type TokenRecord } from '../store/tokens.js';
import { readWantsRefresh } from './rules.js';

// The read path: GET /v1/tokens/{id} reads and decides; when a refresh is due it invokes the
// RefreshOnDemand function, which alone may write the outcome and call the provider. A warm read of
// a fresh token pays nothing for the split: the invoke happens only near expiry.

export const REFRESH_ON_DEMAND = 'RefreshOnDemand';

export const refreshRequest = z.strictObject({ tenant_id: z.string().min(1), token_id: z.string().min(1) });
export type RefreshRequest = z.infer<typeof refreshRequest>;
/** The function's answer: the token as stored after the refresh (secrets still sealed), or null if gone. */
export interface RefreshResponse {
  token: TokenRecord | null;
}

/** A token valid for at least the margin when it can be; otherwise the stored one, whose status says why. */
export async function getFreshToken(tenantId: string, tokenId: string): Promise<TokenRecord> {
  const t = await mustGetToken(tenantId, tokenId);
  if (!readWantsRefresh(t)) return t;
  const out = await invokeFunction<RefreshResponse>(REFRESH_ON_DEMAND, {
    tenant_id: tenantId,
    token_id: tokenId,
  } satisfies RefreshRequest);
  return out.token ?? mustGetToken(tenantId, tokenId, true); // gone meanwhile: the 404
}
