import { config } from '../config.js';
import type { TokenRecord } from '../store/tokens.js';

// When a token wants refreshing: pure rules, shared by the read path (which only decides) and the
// engine (which refreshes). Kept apart so the read function does not bundle the OAuth client.

/** `ensure`: only if within the margin of expiry (GET). `scheduled`: if due (the job). `force`: now. */
export type RefreshMode = 'ensure' | 'scheduled' | 'force';

export function needsRefresh(t: TokenRecord, mode: RefreshMode, now = Date.now()): boolean {
  if (mode === 'force') return true;
  if (mode === 'scheduled') return t.refresh_due_at !== null && Date.parse(t.refresh_due_at) <= now;
  return t.expires_at !== null && Date.parse(t.expires_at) - now < config.REFRESH_MARGIN_SECONDS * 1000;
}

/** Seconds left of the backoff after failed refreshes, or null when the provider may be tried. */
export function inCooldown(t: TokenRecord, now = Date.now()): number | null {
  if (t.refresh_failures === 0 || t.status === 'needs_reauth' || !t.refresh_due_at) return null;
  const wait = Date.parse(t.refresh_due_at) - now;
  return wait > 0 ? Math.ceil(wait / 1000) : null;
}

/** A read should refresh first: near expiry, refreshable, and not backing off. */
export function readWantsRefresh(t: TokenRecord, now = Date.now()): boolean {
  return (
    needsRefresh(t, 'ensure', now) &&
    t.refresh_token_enc !== null &&
    t.status !== 'needs_reauth' &&
    inCooldown(t, now) === null
  );
}
