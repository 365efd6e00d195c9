import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { auditCompanion } from '../audit/service.js';
import type { AuditContext } from '../audit/types.js';
import { config } from '../config.js';
import { UnauthorizedError } from '../errors.js';
import { randomToken } from '../ids.js';
import { publicBaseUrl } from '../public-url.js';
import { getApiKey } from '../store/api-keys.js';
import * as store from '../store/sessions.js';
import { type AuthContext, authenticate, requireScope, type Scope } from './api-keys.js';
import { SESSION_COOKIE } from './session-cookie.js';

// Dashboard sessions: an admin API key is exchanged for an HttpOnly cookie, so the key never stays
// in the browser. The cookie is honoured only on requests from the vault's own origin, and every
// use re-reads the key record: a session can do no more than its key, and revoking the key ends it.

export { SESSION_COOKIE };

/** last_seen_at is written at most this often per session (idle expiry has minute precision). */
const TOUCH_EVERY_MS = 60_000;

// The request as API Gateway gives it (not the HTTP layer's own event type: auth knows no HTTP layer).
type SessionEvent = Pick<APIGatewayProxyEventV2, 'headers' | 'cookies' | 'requestContext' | 'rawPath'>;

export interface SessionView {
  tenant_id: string;
  key_id: string;
  scopes: Scope[];
  expires_at: string;
}

const hashOf = (id: string) => createHash('sha256').update(id).digest('base64url');

/**
 * Exchanges an admin API key for a session; returns the Set-Cookie value and what the session is.
 * `audit` makes the request's audit context once the key is known: the sign-in is recorded as that
 * key's, in the same transaction as the session.
 */
export async function signIn(
  apiKey: string,
  event: SessionEvent,
  audit: (auth: AuthContext) => AuditContext,
) {
  requireOwnOrigin(event);
  const auth = await authenticate(`Bearer ${apiKey}`);
  requireScope(auth, 'admin');
  const id = randomToken(32);
  const now = new Date();
  const expiresAt = new Date(now.getTime() + config.DASHBOARD_SESSION_MAX_SECONDS * 1000).toISOString();
  const session = { type: 'session' as const, id: hashOf(id) };
  await store.putSession(
    {
      id_hash: session.id,
      tenant_id: auth.tenantId,
      key_id: auth.keyId,
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      expires_at: expiresAt,
    },
    [auditCompanion(auth.tenantId, audit(auth), 'dashboard.sign_in', session)],
  );
  const view: SessionView = {
    tenant_id: auth.tenantId,
    key_id: auth.keyId,
    scopes: auth.scopes,
    expires_at: expiresAt,
  };
  return { cookie: cookie(event, id, config.DASHBOARD_SESSION_MAX_SECONDS), view };
}

/** Ends the request's session on the server (if any) and returns a Set-Cookie value that clears it. */
export async function signOut(
  event: SessionEvent,
  audit: (auth: AuthContext) => AuditContext,
): Promise<string> {
  requireOwnOrigin(event);
  const id = sessionId(event);
  // A live session's end is recorded as its key's; an unknown one has nothing to end.
  const s = id ? await store.getSession(hashOf(id)) : null;
  if (s) {
    const key = await getApiKey(s.key_id);
    const auth: AuthContext = { tenantId: s.tenant_id, keyId: s.key_id, scopes: [], name: key?.name ?? '' };
    await store.deleteSession(s.id_hash, [
      auditCompanion(s.tenant_id, audit(auth), 'dashboard.sign_out', { type: 'session', id: s.id_hash }),
    ]);
  }
  return cookie(event, '', 0);
}

/**
 * The auth context of the request's session cookie, or undefined when the request carries an
 * Authorization header or no session cookie (then API-key auth applies as before).
 */
export async function sessionAuth(event: SessionEvent): Promise<AuthContext | undefined> {
  if (event.headers?.authorization !== undefined) return undefined;
  const id = sessionId(event);
  if (id === undefined) return undefined;
  requireOwnOrigin(event);

  const idHash = hashOf(id);
  const session = await store.getSession(idHash);
  if (!session) throw new UnauthorizedError('unknown session');
  const now = Date.now();
  const lastSeen = Date.parse(session.last_seen_at);
  if (now >= Date.parse(session.expires_at)) throw new UnauthorizedError('session expired');
  if (now - lastSeen >= config.DASHBOARD_SESSION_IDLE_SECONDS * 1000)
    throw new UnauthorizedError('session idle');

  const key = await getApiKey(session.key_id);
  if (!key || key.revoked_at || key.tenant_id !== session.tenant_id)
    throw new UnauthorizedError('session key revoked');
  if (now - lastSeen >= TOUCH_EVERY_MS) await store.touchSession(idHash, new Date(now).toISOString());
  return { tenantId: key.tenant_id, keyId: key.id, scopes: key.scopes as Scope[], name: key.name };
}

/**
 * Cookie-authenticated requests must come from the vault's own origin, reads included: the
 * browser's Sec-Fetch-Site says so (page scripts cannot set it), or, where a browser sends no
 * Sec-Fetch-Site, an Origin equal to the vault's.
 */
function requireOwnOrigin(event: SessionEvent): void {
  const site = event.headers?.['sec-fetch-site'];
  const ok =
    site !== undefined
      ? site === 'same-origin'
      : event.headers?.origin === new URL(publicBaseUrl(event)).origin;
  if (!ok) throw new UnauthorizedError('session cookie from another origin');
}

function sessionId(event: SessionEvent): string | undefined {
  // API Gateway (payload 2.0) moves cookies to `event.cookies`.
  const all = event.cookies ?? event.headers?.cookie?.split(/;\s*/) ?? [];
  for (const c of all) {
    const eq = c.indexOf('=');
    if (c.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = c.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/** HttpOnly, SameSite=Strict, Secure over https, sent only to the API (`/v1`, under any stage prefix). */
function cookie(event: SessionEvent, value: string, maxAge: number): string {
  const raw = event.rawPath ?? '/v1/';
  const path = `${raw.slice(0, Math.max(0, raw.indexOf('/v1/')))}/v1`;
  const secure = publicBaseUrl(event).startsWith('https:') ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=${path}; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure}`;
}
