import * as oauth from 'oauth4webapi';
import { config } from '../config.js';
import { ConflictError, ValidationError } from '../errors.js';
import { dataKeys } from '../keyring/index.js';
import { ResponseTooLargeError, safeFetch } from '../net/safe-fetch.js';
import type { OAuthAppRecord } from '../store/oauth-apps.js';
import { findProvider, type Provider, resolveProviderUrls, UrlParamError } from './catalog.js';
import { InvalidTokenResponseError, safeErrorCode } from './token-response.js';

// Talking to a provider's OAuth endpoints through oauth4webapi: it validates responses (token
// type, `iss`, error bodies) so the vault doesn't hand-parse them. Every request goes through
// safeFetch: a timeout, no redirects, and — deployed — no private or loopback addresses.

const TIMEOUT_MS = 10_000;

/** The fields of a provider definition the OAuth exchange needs, from the catalog or custom. */
export type ProviderDef = Pick<
  Provider,
  | 'authorization_url'
  | 'token_url'
  | 'scope_separator'
  | 'pkce'
  | 'token_auth'
  | 'authorize_params'
  | 'issuer'
> & { id: string; default_scopes: string[] };

export interface ProviderClient {
  def: ProviderDef;
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  auth: oauth.ClientAuth;
  authorizationUrl: string;
}

export const appSealRef = (a: Pick<OAuthAppRecord, 'tenant_id' | 'provider'>) => ({
  tenantId: a.tenant_id,
  record: `oauth_app#${a.provider}`,
  field: 'client_secret',
});

export function providerDef(app: Pick<OAuthAppRecord, 'provider' | 'custom'>): ProviderDef {
  if (app.custom) return { id: app.provider, default_scopes: [], ...app.custom };
  const p = findProvider(app.provider);
  if (!p) throw new ValidationError([{ path: 'body.provider', message: 'Unknown provider: give `custom`.' }]);
  return p;
}

export async function providerClient(
  app: OAuthAppRecord,
  urlParams: Record<string, string>,
): Promise<ProviderClient> {
  const def = providerDef(app);
  let urls: { authorization_url: string; token_url: string };
  if (app.custom) urls = def;
  else {
    try {
      urls = resolveProviderUrls(def as Provider, { ...app.url_params, ...urlParams });
    } catch (err) {
      if (err instanceof UrlParamError)
        throw new ValidationError([{ path: 'body.url_params', message: err.message }]);
      throw err;
    }
  }
  const secret = await dataKeys.decrypt(appSealRef(app), app.client_secret_enc);
  // Without published metadata the issuer is nominal; when the provider documents one, oauth4webapi checks `iss`.
  const as: oauth.AuthorizationServer = {
    issuer: def.issuer ?? new URL(urls.token_url).origin,
    authorization_endpoint: urls.authorization_url,
    token_endpoint: urls.token_url,
  };
  return {
    def,
    as,
    client: { client_id: app.client_id },
    auth:
      def.token_auth === 'client_secret_post'
        ? oauth.ClientSecretPost(secret)
        : oauth.ClientSecretBasic(secret),
    authorizationUrl: urls.authorization_url,
  };
}

// One fetch (and connection pool) per process.
const providerFetch = safeFetch(config.VAULT_MODE, { timeoutMs: TIMEOUT_MS });

export function requestOptions() {
  return {
    [oauth.customFetch]: providerFetch,
    [oauth.allowInsecureRequests]: config.VAULT_MODE === 'local',
    signal: () => AbortSignal.timeout(TIMEOUT_MS),
  };
}

/** Why a token request failed, in the two kinds that matter: the grant is dead, or try later. */
export interface GrantFailure {
  permanent: boolean;
  code: string;
  message: string;
}

const PERMANENT = new Set([
  'invalid_grant',
  'invalid_client',
  'unauthorized_client',
  'unsupported_grant_type',
]);

/**
 * Classifies an error from oauth4webapi or the network. Only the error code and status are kept:
 * oauth4webapi's errors carry the provider's whole response body, which can hold tokens. The
 * provider's error code is its own text: bounded and reduced to a safe charset before use.
 */
export function classify(err: unknown): GrantFailure {
  if (err instanceof oauth.ResponseBodyError) {
    const code = safeErrorCode(err.error);
    return {
      permanent: PERMANENT.has(code),
      code,
      message: `The provider refused the grant (${code}, HTTP ${err.status}).`,
    };
  }
  if (err instanceof InvalidTokenResponseError) {
    return { permanent: false, code: err.code, message: err.message };
  }
  if (err instanceof ResponseTooLargeError) {
    return { permanent: false, code: 'invalid_response', message: 'The provider sent a response too large.' };
  }
  if (err instanceof oauth.UnsupportedOperationError) {
    // e.g. a token_type other than Bearer or DPoP
    return {
      permanent: false,
      code: 'invalid_response',
      message: 'The provider sent an unsupported response.',
    };
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    return {
      permanent: true,
      code: 'invalid_client',
      message: `The provider refused the client (HTTP ${err.status}).`,
    };
  }
  if (err instanceof oauth.OperationProcessingError) {
    const status = (err.cause as { status?: number } | undefined)?.status;
    return {
      permanent: false,
      code: status ? `http_${status}` : 'invalid_response',
      message: status ? `The provider answered HTTP ${status}.` : 'The provider sent an invalid response.',
    };
  }
  const name = (err as Error)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return { permanent: false, code: 'timeout', message: 'The provider did not answer in time.' };
  }
  return { permanent: false, code: 'network_error', message: 'The provider could not be reached.' };
}

export function requireApp(app: OAuthAppRecord | null, provider: string): OAuthAppRecord {
  if (!app) throw new ConflictError(`No OAuth app is configured for provider '${provider}'.`);
  return app;
}
