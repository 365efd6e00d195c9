import { createHash, randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { auditCompanion } from '../audit/service.js';
import type { AuditContext } from '../audit/types.js';
import { BadRequestError, HttpError, ValidationError } from '../errors.js';
import { dataKeys } from '../keyring/index.js';
import { logger } from '../observability.js';
import { classify, providerClient, requestOptions, requireApp } from '../providers/oauth.js';
import type { CreateSessionInput } from '../providers/schemas.js';
import { safeErrorCode, validateTokenResponse } from '../providers/token-response.js';
import {
  type ConnectSession,
  consumePendingConnection,
  discardPendingConnection,
  getPendingConnection,
  type PendingConnection,
  putPendingConnection,
  putSession,
  takeSession,
} from '../store/connect-sessions.js';
import { getOAuthApp } from '../store/oauth-apps.js';
import type { TokenRecord } from '../store/tokens.js';
import { type ConnectedToken, expiryFrom, saveConnectedToken } from '../tokens/service.js';

// The authorization-code flow: a session (state, PKCE verifier, where to return) lives ten
// minutes; the callback consumes it once and exchanges the code. By default the provider's
// tokens then wait, sealed, until the app confirms with the one-time connect code (so a forwarded
// authorization link cannot attach a stranger's account: RFC 6749 §10.12); with `confirm: false`
// the callback stores the token at once.

const SESSION_SECONDS = 600;

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');
const hashState = sha256;
const verifierRef = (s: Pick<ConnectSession, 'tenant_id' | 'state_hash'>) => ({
  tenantId: s.tenant_id,
  record: `connect#${s.state_hash}`,
  field: 'code_verifier',
});

/** Same origin, and a path under an allowed one: no open redirect through the vault. */
export function isAllowedRedirect(url: string, allowed: string[]): boolean {
  const u = new URL(url);
  return allowed.some((a) => {
    const base = new URL(a);
    const path = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
    return u.origin === base.origin && (u.pathname === base.pathname || u.pathname.startsWith(path));
  });
}

export async function createSession(
  tenantId: string,
  input: CreateSessionInput,
  redirectUri: string,
  ctx: AuditContext,
) {
  const app = requireApp(await getOAuthApp(tenantId, input.provider), input.provider);
  if (!isAllowedRedirect(input.redirect_url, app.redirect_urls)) {
    throw new ValidationError([
      { path: 'body.redirect_url', message: "Not under one of the OAuth app's redirect_urls." },
    ]);
  }
  const urlParams = input.url_params ?? {};
  const pc = await providerClient(app, urlParams);
  const state = oauth.generateRandomState();
  const verifier = pc.def.pkce ? oauth.generateRandomCodeVerifier() : null;
  const scopes = input.scopes ?? app.scopes ?? pc.def.default_scopes;

  const url = new URL(pc.authorizationUrl);
  for (const [k, v] of Object.entries(pc.def.authorize_params)) url.searchParams.set(k, v);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', app.client_id);
  url.searchParams.set('redirect_uri', redirectUri);
  if (scopes.length) url.searchParams.set('scope', scopes.join(pc.def.scope_separator));
  url.searchParams.set('state', state);
  if (verifier) {
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
    url.searchParams.set('code_challenge_method', 'S256');
  }

  const expiresAt = new Date(Date.now() + SESSION_SECONDS * 1000).toISOString();
  const session: ConnectSession = {
    state_hash: hashState(state),
    tenant_id: tenantId,
    provider: input.provider,
    key: input.key,
    scopes,
    redirect_url: input.redirect_url,
    redirect_uri: redirectUri,
    url_params: urlParams,
    code_verifier_enc: null,
    expires_at: expiresAt,
    confirm: input.confirm,
  };
  if (verifier) session.code_verifier_enc = await dataKeys.encrypt(verifierRef(session), verifier);
  // Named by the hash its record is keyed by: the state itself travels in URLs and is never
  // recorded; 32 random bytes, so its SHA-256 reveals nothing (no audit key needed, no KMS call).
  const target = {
    type: 'connect_session' as const,
    id: session.state_hash,
    provider: input.provider,
    key: input.key,
  };
  await putSession(session, SESSION_SECONDS, [
    auditCompanion(tenantId, ctx, 'connect.session_create', target),
  ]);
  return { authorization_url: url.toString(), expires_at: expiresAt };
}

function backTo(session: ConnectSession, outcome: Record<string, string>): string {
  const url = new URL(session.redirect_url);
  url.searchParams.set('provider', session.provider);
  url.searchParams.set('key', session.key);
  for (const [k, v] of Object.entries(outcome)) url.searchParams.set(k, v);
  return url.toString();
}

/**
 * Handles the provider's redirect; returns where to send the browser. `ctx`: the browser's request,
 * acting as the system's callback (no API key); a token stored here (`confirm: false`) is recorded so.
 */
export async function completeCallback(callback: URL, ctx: AuditContext): Promise<string> {
  const state = callback.searchParams.get('state');
  const session = state ? await takeSession(hashState(state)) : null;
  if (!state || !session)
    throw new BadRequestError('This sign-in link has expired or was already used. Start again.');

  const error = callback.searchParams.get('error');
  // The provider's word, bounded like every error code it sends (it goes into a URL and the log).
  if (error) return backTo(session, { status: 'error', error: safeErrorCode(error) });

  try {
    const app = requireApp(await getOAuthApp(session.tenant_id, session.provider), session.provider);
    const pc = await providerClient(app, session.url_params);
    const params = oauth.validateAuthResponse(pc.as, pc.client, callback, state);
    const verifier = session.code_verifier_enc
      ? await dataKeys.decrypt(verifierRef(session), session.code_verifier_enc)
      : oauth.nopkce;
    const response = await oauth.authorizationCodeGrantRequest(
      pc.as,
      pc.client,
      pc.auth,
      params,
      session.redirect_uri,
      verifier,
      requestOptions(),
    );
    const result = validateTokenResponse(
      await oauth.processAuthorizationCodeResponse(pc.as, pc.client, response),
    );
    const connected: ConnectedToken = {
      provider: session.provider,
      key: session.key,
      access_token: result.access_token,
      refresh_token: result.refresh_token,
      expires_in: result.expires_in,
      token_type: result.token_type,
      scopes: result.scope ? result.scope.split(/[ ,+]/).filter(Boolean) : session.scopes,
      url_params: session.url_params,
    };
    if (session.confirm === false) {
      const token = await saveConnectedToken(session.tenant_id, connected, ctx);
      return backTo(session, { status: 'success', token_id: token.id });
    }
    return backTo(session, {
      status: 'success',
      connect_code: await holdForConfirmation(session, connected),
    });
  } catch (err) {
    const failure =
      err instanceof oauth.AuthorizationResponseError ? { code: safeErrorCode(err.error) } : classify(err);
    // The code and the error's own message, never the error object (it can carry the provider's response).
    logger.warn('Connect failed', {
      provider: session.provider,
      tenant_id: session.tenant_id,
      code: failure.code,
      error: `${(err as Error).name}: ${(err as Error).message}`,
    });
    return backTo(session, { status: 'error', error: failure.code });
  }
}

// Pending connections: sealed like tokens, bound to the record by the hash of the connect code.
const pendingRef = (
  p: Pick<PendingConnection, 'tenant_id' | 'code_hash'>,
  field: 'access_token' | 'refresh_token',
) => ({
  tenantId: p.tenant_id,
  record: `connection#${p.code_hash}`,
  field,
});

/** Parks the provider's tokens, sealed, until the app confirms; returns the one-time connect code. */
async function holdForConfirmation(session: ConnectSession, c: ConnectedToken): Promise<string> {
  const code = randomBytes(32).toString('base64url');
  const p: PendingConnection = {
    code_hash: sha256(code),
    tenant_id: session.tenant_id,
    provider: c.provider,
    key: c.key,
    access_token_enc: '',
    refresh_token_enc: null,
    token_expires_at: expiryFrom(c, Date.now()),
    token_type: c.token_type,
    scopes: c.scopes,
    url_params: c.url_params,
    expires_at: session.expires_at,
  };
  p.access_token_enc = await dataKeys.encrypt(pendingRef(p, 'access_token'), c.access_token);
  if (c.refresh_token)
    p.refresh_token_enc = await dataKeys.encrypt(pendingRef(p, 'refresh_token'), c.refresh_token);
  await putPendingConnection(p);
  return code;
}

/** One answer for every code that does not work, so a caller learns nothing about other tenants' codes. */
const invalidCode = () => new BadRequestError('This connect code is unknown, expired or already used.');

/**
 * The app confirms a connection: uses the code up and stores the token under (provider, key), in
 * one transaction, then `connection.created` fires. Only the tenant that created the session finds
 * the code; an expired one is discarded.
 */
export async function confirmConnection(
  tenantId: string,
  connectCode: string,
  ctx: AuditContext,
  now = new Date(),
): Promise<TokenRecord> {
  const codeHash = sha256(connectCode);
  const p = await getPendingConnection(tenantId, codeHash);
  if (!p) throw invalidCode();
  if (Date.parse(p.expires_at) <= now.getTime()) {
    await discardPendingConnection(tenantId, codeHash);
    throw invalidCode();
  }
  const [access, refresh] = await Promise.all([
    dataKeys.decrypt(pendingRef(p, 'access_token'), p.access_token_enc),
    p.refresh_token_enc ? dataKeys.decrypt(pendingRef(p, 'refresh_token'), p.refresh_token_enc) : undefined,
  ]);
  try {
    return await saveConnectedToken(
      tenantId,
      {
        provider: p.provider,
        key: p.key,
        access_token: access,
        refresh_token: refresh,
        expires_at: p.token_expires_at ?? undefined,
        token_type: p.token_type,
        scopes: p.scopes,
        url_params: p.url_params,
      },
      ctx,
      [{ item: consumePendingConnection(p, now), failed: invalidCode }],
    );
  } catch (err) {
    // DynamoDB may cancel the loser of two concurrent exchanges as a transaction conflict rather
    // than a failed condition; if the code is gone, a concurrent exchange used it. If it is still
    // there, nothing was stored and the app may retry.
    if (!(err instanceof HttpError) && !(await getPendingConnection(tenantId, codeHash))) throw invalidCode();
    throw err;
  }
}
