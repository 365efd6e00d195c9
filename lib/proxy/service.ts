import { systemContext } from '../audit/service.js';
import { type AgentContext, assertAllowed, countCall } from '../auth/agent-keys.js';
import type { AuthContext } from '../auth/api-keys.js';
import { config } from '../config.js';
import { BadGatewayError, BadRequestError, ConflictError, HttpError, NotFoundError } from '../errors.js';
import { responseStreaming } from '../http/streaming.js';
import { dataKeys } from '../keyring/index.js';
import { safeFetch, UnsafeUrlError } from '../net/safe-fetch.js';
import { logger } from '../observability.js';
import { findProvider, resolveProviderUrls } from '../providers/catalog.js';
import { forceRefresh, refreshForRead } from '../refresh/engine.js';
import { getFreshToken as freshToken } from '../refresh/on-demand.js';
import { getOAuthApp, type OAuthAppRecord } from '../store/oauth-apps.js';
import { findTokenId, getToken, type TokenRecord } from '../store/tokens.js';
import { checkProxyPath, joinUnderBase } from './paths.js';

// The proxy holds the refresh's rights itself (write, outbound): it refreshes in process.
const getFreshToken = (tenantId: string, tokenId: string) => freshToken(tenantId, tokenId, refreshForRead);

// The proxy: call a provider's API with a stored token the caller never sees. The vault picks the
// token, refreshes it if needed, injects it, forwards, and hands back the provider's answer.

export type Caller = { kind: 'api'; auth: AuthContext } | AgentContext;

export interface ProxyRequest {
  provider: string;
  /** The raw, percent-encoded path under the provider's API base URL, starting with `/`. */
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  method: string;
  /** Lower-cased names. */
  headers: Record<string, string>;
  body?: Uint8Array;
}

export interface ProxyResponse {
  status: number;
  headers: Record<string, string>;
  body: ReadableStream<Uint8Array> | null;
}

/** Locally the proxy streams, so big bodies are fine; deployed a Lambda response is at most 6 MB. */
export const MAX_RESPONSE_BYTES = config.VAULT_MODE === 'local' ? 256 * 1024 * 1024 : 6 * 1024 * 1024;
const UPSTREAM_TIMEOUT_MS = 25_000; // inside the 29 s of routes that call out
const CACHE_MS = Math.max(config.AUTH_CACHE_TTL_SECONDS, 1) * 1000;

// Streamed where the server streams (locally); buffered where it cannot (Lambda), which is cheaper
// than passing a stream along only to collect it.
const upstreamStreamed = safeFetch(config.VAULT_MODE, {
  timeoutMs: UPSTREAM_TIMEOUT_MS,
  maxBytes: MAX_RESPONSE_BYTES,
  stream: true,
});
const upstreamBuffered = safeFetch(config.VAULT_MODE, {
  timeoutMs: UPSTREAM_TIMEOUT_MS,
  maxBytes: MAX_RESPONSE_BYTES,
});
const upstream: typeof upstreamBuffered = (input, init) =>
  responseStreaming.enabled ? upstreamStreamed(input, init) : upstreamBuffered(input, init);

// Hop-by-hop (RFC 9110 §7.6.1), the caller's credentials and the vault's own headers, what the
// platform adds about the caller, and what fetch sets itself.
const DROP_REQUEST = new Set([
  'authorization',
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'cookie',
  'forwarded',
  'accept-encoding',
  'expect',
]);
const DROP_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'content-encoding',
  'set-cookie', // cookies the provider sets are for a browser session the caller does not have
]);

function forwardable(name: string, drop: Set<string>, connectionTokens: Set<string>): boolean {
  return (
    !drop.has(name) &&
    !connectionTokens.has(name) &&
    !name.startsWith('vault-') &&
    !name.startsWith('x-forwarded-') &&
    !name.startsWith('x-amzn-')
  );
}

const connectionTokens = (value: string | null | undefined) =>
  new Set(
    (value ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );

// (tenant, provider, key) → token id. A token keeps its id for its life; a deleted one is noticed
// (getToken finds nothing) and looked up again, so a stale entry costs a retry, never a wrong token.
const connectionIds = new Map<string, { id: string; until: number }>();
// (tenant, provider) → the OAuth app, for its API base URL; at most CACHE_MS stale.
const apps = new Map<string, { app: OAuthAppRecord | null; until: number }>();

async function tokenIdFor(tenantId: string, provider: string, key: string, fresh = false): Promise<string> {
  const k = `${tenantId}\n${provider}\n${key}`;
  const hit = connectionIds.get(k);
  if (!fresh && hit && hit.until > Date.now()) return hit.id;
  const id = await findTokenId(tenantId, provider, key);
  if (!id) throw new NotFoundError(`No connection '${key}' for provider '${provider}'.`);
  if (connectionIds.size > 10_000) connectionIds.clear();
  connectionIds.set(k, { id, until: Date.now() + CACHE_MS });
  return id;
}

async function appFor(tenantId: string, provider: string): Promise<OAuthAppRecord | null> {
  const k = `${tenantId}\n${provider}`;
  const hit = apps.get(k);
  if (hit && hit.until > Date.now()) return hit.app;
  const app = await getOAuthApp(tenantId, provider);
  if (apps.size > 10_000) apps.clear();
  apps.set(k, { app, until: Date.now() + CACHE_MS });
  return app;
}

/** The provider's API base URL and how it takes a token: the app's override, its custom provider, or the catalog. */
async function apiTarget(t: TokenRecord): Promise<{ base: string; header: string; prefix: string }> {
  const app = await appFor(t.tenant_id, t.provider);
  const known = findProvider(t.provider);
  let base = app?.api_base_url ?? app?.custom?.api_base_url;
  if (!base && known?.api_base_url && !app?.custom) {
    base = resolveProviderUrls(known, { ...app?.url_params, ...t.url_params }).api_base_url;
  }
  if (!base) {
    throw new ConflictError(
      `Provider '${t.provider}' has no API base URL: set \`api_base_url\` on its OAuth app.`,
    );
  }
  const auth = (!app?.custom && known?.api_auth) || { header: 'authorization', prefix: 'Bearer ' };
  return { base, header: auth.header.toLowerCase(), prefix: auth.prefix };
}

const tenantOf = (c: Caller) => (c.kind === 'api' ? c.auth.tenantId : c.tenantId);
const keyIdOf = (c: Caller) => (c.kind === 'api' ? c.auth.keyId : c.keyId);

/** Finds the token the request names, checking an agent's allow-list before anything is read or sent. */
async function chooseToken(caller: Caller, req: ProxyRequest, path: string): Promise<TokenRecord> {
  const tenantId = tenantOf(caller);
  const connKey = req.headers['vault-connection-key'];
  const tokenId = req.headers['vault-token-id'];
  if ((connKey === undefined) === (tokenId === undefined))
    throw new BadRequestError('Name the token with exactly one of Vault-Connection-Key or Vault-Token-Id.');
  const check = (key: string) => {
    if (caller.kind === 'agent')
      assertAllowed(caller, { provider: req.provider, key, method: req.method, path });
  };
  if (connKey !== undefined) {
    check(connKey);
    if (caller.kind === 'agent') await countCall(caller);
    const id = await tokenIdFor(tenantId, req.provider, connKey);
    const t = await getFreshToken(tenantId, id).catch(async (err) => {
      if (!(err instanceof NotFoundError)) throw err;
      return getFreshToken(tenantId, await tokenIdFor(tenantId, req.provider, connKey, true));
    });
    return t;
  }
  const id = tokenId as string;
  if (caller.kind === 'agent') {
    // The allow-list names keys: look the token up (without refreshing) before anything else.
    const meta = await getToken(tenantId, id);
    if (!meta || meta.provider !== req.provider) throw new NotFoundError('Token not found.');
    check(meta.key);
    await countCall(caller);
  }
  const t = await getFreshToken(tenantId, id);
  if (t.provider !== req.provider) throw new NotFoundError('Token not found.');
  return t;
}

/**
 * One proxied call. Errors before the provider answers are the vault's (problem+json); after, the
 * provider's status, headers and body come back as sent (minus hop-by-hop headers and cookies).
 */
export async function proxyCall(caller: Caller, req: ProxyRequest): Promise<ProxyResponse> {
  const started = Date.now();
  const method = req.method.toUpperCase();
  const path = checkProxyPath(req.path);
  const token = await chooseToken(caller, { ...req, method }, path);
  const target = await apiTarget(token);
  const url = joinUnderBase(target.base, path, req.query);

  const conn = connectionTokens(req.headers.connection);
  const headers: [string, string][] = Object.entries(req.headers).filter(
    ([name]) => forwardable(name, DROP_REQUEST, conn) && name !== target.header,
  );
  const body = method === 'GET' || method === 'HEAD' || !req.body?.length ? undefined : req.body;

  const send = async (t: TokenRecord) => {
    const access = await dataKeys.decrypt(
      { tenantId: t.tenant_id, record: `token#${t.id}`, field: 'access_token' },
      t.access_token_enc,
    );
    try {
      return await upstream(url, {
        method,
        headers: [...headers, [target.header, `${target.prefix}${access}`]],
        body: body as RequestInit['body'],
      });
    } catch (err) {
      if (err instanceof UnsafeUrlError)
        throw new BadGatewayError(`The provider's API URL is refused: ${err.message}.`);
      const { name, message } = err as Error;
      if (name === 'TimeoutError') throw new BadGatewayError('The provider did not answer in time.');
      if (/exceeds \d+ bytes/.test(message))
        throw new BadGatewayError('The provider’s response is larger than this deployment can return.');
      throw new BadGatewayError('The provider could not be reached.');
    }
  };

  let res = await send(token);
  let retried = false;
  // The request body is fully buffered (Lambda hands over whole bodies), so it can always be replayed.
  if (res.status === 401) {
    let fresh: TokenRecord | null = null;
    const first = new Uint8Array(await res.arrayBuffer());
    try {
      // The proxy's own refresh after a 401, as the on-demand refresh would make it.
      fresh = await forceRefresh(token.tenant_id, token.id, systemContext('RefreshOnDemand'));
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
    }
    if (fresh) {
      res = await send(fresh);
      retried = true;
    } else {
      res = new Response(first, { status: res.status, statusText: res.statusText, headers: res.headers });
    }
  }

  const outHeaders: Record<string, string> = {};
  const conn2 = connectionTokens(res.headers.get('connection'));
  for (const [name, value] of res.headers)
    if (forwardable(name, DROP_RESPONSE, conn2)) outHeaders[name] = value;

  // The record of the call (an audit trail will take it): never a body, a header value or a token.
  logger.info('Proxy call', {
    method,
    host: url.host,
    path: url.pathname,
    status: res.status,
    duration_ms: Date.now() - started,
    key_id: keyIdOf(caller),
    key_kind: caller.kind === 'api' ? 'api_key' : 'agent_key',
    token_id: token.id,
    retried_after_401: retried,
  });
  return { status: res.status, headers: outHeaders, body: res.body as ReadableStream<Uint8Array> | null };
}
