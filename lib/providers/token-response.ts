import type * as oauth from 'oauth4webapi';

// A provider's token response is untrusted input: the vault stores it, puts it in events and sends
// it to webhooks, so every field gets a bound here, in one place, for refresh and connect alike.
// Out of bounds is a bad response (code `invalid_response`), never clamped: a provider that sends a
// 300 KB scope or a lifetime of 1e300 s is broken, and storing a guess would hide that.

export const TOKEN_BOUNDS = {
  /** access_token and refresh_token, in characters. JWTs with many claims stay well under this. */
  tokenLength: 16 * 1024,
  tokenTypeLength: 64,
  scopeCount: 256,
  scopeLength: 512,
  /** All scopes together, separators included (as the provider sent the string). */
  scopeTotal: 8 * 1024,
  /** `expires_in`: 1 s to 10 years. A fractional value is rounded down (then it must still be ≥ 1). */
  expiresInMax: 10 * 365 * 86_400,
  /** Provider error codes as stored in `last_error.code` and logged. */
  errorCodeLength: 64,
} as const;

/** A token response that broke a bound. Its message names the field and the bound, never the value. */
export class InvalidTokenResponseError extends Error {
  override name = 'InvalidTokenResponseError';
  readonly code = 'invalid_response';
}

/** Providers separate scopes with spaces (RFC 6749), some with commas or `+`. */
export const splitScopes = (scope: string) => scope.split(/[ ,+]/).filter(Boolean);

function bad(what: string): never {
  throw new InvalidTokenResponseError(`The provider sent an invalid token response (${what}).`);
}

/**
 * Checks the fields the vault keeps from a token endpoint's answer (already parsed by oauth4webapi)
 * and returns it with `expires_in` as whole seconds. Throws InvalidTokenResponseError.
 */
export function validateTokenResponse<T extends oauth.TokenEndpointResponse>(r: T): T {
  if (typeof r.access_token !== 'string' || r.access_token.length === 0) bad('no access_token');
  if (r.access_token.length > TOKEN_BOUNDS.tokenLength)
    bad(`access_token longer than ${TOKEN_BOUNDS.tokenLength}`);
  if (r.refresh_token !== undefined) {
    if (typeof r.refresh_token !== 'string' || r.refresh_token.length === 0) bad('empty refresh_token');
    if (r.refresh_token.length > TOKEN_BOUNDS.tokenLength)
      bad(`refresh_token longer than ${TOKEN_BOUNDS.tokenLength}`);
  }
  if (typeof r.token_type !== 'string' || r.token_type.length > TOKEN_BOUNDS.tokenTypeLength)
    bad(`token_type longer than ${TOKEN_BOUNDS.tokenTypeLength}`);
  let expiresIn = r.expires_in;
  if (expiresIn !== undefined) {
    expiresIn =
      typeof expiresIn === 'number' && Number.isFinite(expiresIn) ? Math.floor(expiresIn) : Number.NaN;
    if (!(expiresIn >= 1 && expiresIn <= TOKEN_BOUNDS.expiresInMax))
      bad(`expires_in not between 1 and ${TOKEN_BOUNDS.expiresInMax}`);
  }
  if (r.scope !== undefined) {
    if (typeof r.scope !== 'string') bad('scope not a string');
    if (r.scope.length > TOKEN_BOUNDS.scopeTotal) bad(`scope longer than ${TOKEN_BOUNDS.scopeTotal}`);
    const scopes = splitScopes(r.scope);
    if (scopes.length > TOKEN_BOUNDS.scopeCount) bad(`more than ${TOKEN_BOUNDS.scopeCount} scopes`);
    if (scopes.some((s) => s.length > TOKEN_BOUNDS.scopeLength))
      bad(`a scope longer than ${TOKEN_BOUNDS.scopeLength}`);
  }
  return expiresIn === r.expires_in ? r : { ...r, expires_in: expiresIn };
}

/**
 * A provider-sent error code made safe to store in `last_error`, put in a message and log: cut to
 * a bound and reduced to RFC 6749's error charset minus quotes and backslash (printable ASCII).
 */
export function safeErrorCode(code: unknown): string {
  if (typeof code !== 'string') return 'invalid_response';
  const safe = code.slice(0, TOKEN_BOUNDS.errorCodeLength).replace(/[^A-Za-z0-9_.:-]/g, '_');
  return safe || 'invalid_response';
}
