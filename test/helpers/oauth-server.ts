import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import * as oauth from 'oauth4webapi';
// oidc-provider ships no type definitions (and @types/oidc-provider is not installed): the few members
// used here are typed by `OidcProvider` below.
// @ts-expect-error TS7016: untyped module
import { Provider as UntypedProvider } from 'oidc-provider';

// A real OAuth 2.0 authorization server (oidc-provider, in memory) on a loopback port, with one
// confidential client and a few knobs for the vault's tests:
// - authorization code + PKCE (S256, required) + state; RFC 9207 `iss` in every authorization response;
// - refresh tokens always issued (no `offline_access` / `openid` needed), rotated by default, with
//   oidc-provider's reuse detection: presenting an already-rotated refresh token fails with
//   invalid_grant AND revokes the whole grant (the newest refresh token stops working too);
// - opaque access tokens; valid scopes are `read`, `write` (plus `openid`, `offline_access`); other
//   requested scopes are silently not granted;
// - failure injection and counting on POST /token.
//
// Requests the harness makes itself (issueTokens, revoke) carry a private header: they are neither
// counted nor subject to failure injection.

export interface TokenSet {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

export interface OAuthServer {
  /** e.g. http://127.0.0.1:PORT (no trailing slash), the exact value of the `iss` response parameter. */
  issuer: string;
  /** issuer + '/auth' */
  authorizationUrl: string;
  /** issuer + '/token' */
  tokenUrl: string;
  /** issuer + '/token/revocation' (RFC 7009) */
  revocationUrl: string;
  clientId: string;
  clientSecret: string;
  /**
   * Number of POST /token requests received, by grant_type, counted on arrival: requests answered by
   * the provider (successes and OAuth errors alike), injected 500s, and 'slow' requests (also those whose
   * client gave up during the delay), and requests rejected for using the wrong client authentication
   * method. Other grant types are not counted. Writable (e.g. to reset).
   */
  tokenRequests: { authorization_code: number; refresh_token: number };
  /**
   * Failure injection on POST /token: 'ok'; 'http500' (answer 500 with a text/plain body, without
   * reaching the provider: no side effects); 'slow' (wait `delayMs`, then pass through — unless the
   * client disconnected meanwhile, in which case the request is dropped and never reaches the provider);
   * 'custom' (answer `customResponse` as JSON, without reaching the provider: no side effects).
   */
  mode: 'ok' | 'http500' | 'slow' | 'custom';
  delayMs: number;
  /** The answer in 'custom' mode: any status and JSON body, e.g. a 300 KB `scope` or `expires_in: 1e300`. */
  customResponse: { status: number; body: unknown };
  /**
   * Plays the user's browser: follows the authorization URL's redirects with a fresh cookie jar, logs in
   * as `accountId` (default 'user-1') and grants consent (or cancels, with `deny`) on oidc-provider's dev
   * interaction pages, and stops at the first redirect to a registered redirect URI: returns that URL
   * (with code, state and iss — or error, error_description, state and iss) without requesting it.
   * Rejects if the server answers with an error page instead (e.g. unregistered redirect_uri).
   */
  authorize(authorizationUrl: string, opts?: { accountId?: string; deny?: boolean }): Promise<URL>;
  /** Revokes a refresh token through the revocation endpoint; this also revokes its whole grant. */
  revoke(refreshToken: string): Promise<void>;
  /** Runs the code flow itself (oauth4webapi); default scope 'read write'. */
  issueTokens(opts?: { scope?: string; accountId?: string }): Promise<TokenSet>;
  close(): Promise<void>;
}

/**
 * The body of `POST /v1/oauth-apps` that registers `server` as the custom provider `acme`;
 * `overrides` replace top-level fields, `custom` extends the provider definition.
 */
export function acmeApp(
  server: OAuthServer,
  overrides: Record<string, unknown> = {},
  custom: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    provider: 'acme',
    client_id: server.clientId,
    client_secret: server.clientSecret,
    redirect_urls: ['https://app.example.com/oauth'],
    custom: {
      name: 'Acme',
      authorization_url: server.authorizationUrl,
      token_url: server.tokenUrl,
      issuer: server.issuer,
      ...custom,
    },
    ...overrides,
  };
}

export interface OAuthServerOptions {
  redirectUris: string[];
  /**
   * Default 'client_secret_basic'. POST /token insists on this method (401 invalid_client otherwise);
   * the revocation endpoint accepts either.
   */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  /** Default true. When false, a refresh returns the same refresh token, which stays valid. */
  rotateRefreshTokens?: boolean;
  /** Access token lifetime in seconds (`expires_in`). Default 3600. */
  accessTokenTtl?: number;
}

/** The members of oidc-provider's Provider (a Koa application) used here. */
interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

const ProviderClass = UntypedProvider as new (issuer: string, configuration: object) => OidcProvider;

const HARNESS_HEADER = 'x-oauth-test-harness';
const DAY = 24 * 60 * 60;

export async function startOAuthServer(opts: OAuthServerOptions): Promise<OAuthServer> {
  const clientId = `client-${randomBytes(6).toString('hex')}`;
  const clientSecret = randomBytes(24).toString('base64url');
  const harnessSecret = randomBytes(16).toString('hex');
  const authMethod = opts.tokenEndpointAuthMethod ?? 'client_secret_basic';
  const accessTokenTtl = opts.accessTokenTtl ?? 3600;
  const redirectUris = [...opts.redirectUris];

  let handler: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;
  const server = createServer((req, res) => {
    if (!handler) {
      res.writeHead(503).end();
      return;
    }
    handler(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`oauth test server: ${String(err)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const provider = quietly(
    () =>
      new ProviderClass(issuer, {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            // 'web' clients may register plain http (loopback or not) redirect URIs as long as they
            // don't use the implicit flow; the redirect_uri must match exactly (port included).
            application_type: 'web',
            redirect_uris: redirectUris,
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            token_endpoint_auth_method: authMethod,
          },
        ],
        scopes: ['openid', 'offline_access', 'read', 'write'],
        responseTypes: ['code'],
        pkce: { required: () => true },
        issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
          client.grantTypeAllowed('refresh_token'),
        rotateRefreshToken: opts.rotateRefreshTokens ?? true,
        // Tokens outlive the (dev interaction) browser session.
        expiresWithSession: () => false,
        clientBasedCORS: () => false,
        findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
        ttl: {
          AccessToken: accessTokenTtl,
          AuthorizationCode: 60,
          IdToken: 3600,
          RefreshToken: 14 * DAY,
          Grant: 14 * DAY,
          Session: DAY,
          Interaction: 3600,
        },
        cookies: { keys: [randomBytes(32).toString('hex')] },
        features: {
          devInteractions: { enabled: true },
          revocation: {
            enabled: true,
            allowedPolicy: (_ctx: unknown, client: { clientId: string }, token: { clientId: string }) =>
              client.clientId === token.clientId,
          },
          // Off: access tokens are opaque, for the (unused) userinfo endpoint, and carry the granted
          // scopes; no `resource` parameter is involved.
          resourceIndicators: { enabled: false },
        },
        renderError: (ctx: { type: string; body: unknown }, out: Record<string, string>) => {
          ctx.type = 'text/plain';
          ctx.body = Object.entries(out)
            .map(([k, v]) => `${k}: ${v}`)
            .join('\n');
        },
      }),
  );
  const providerCallback = provider.callback();

  const state: OAuthServer = {
    issuer,
    authorizationUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    revocationUrl: `${issuer}/token/revocation`,
    clientId,
    clientSecret,
    tokenRequests: { authorization_code: 0, refresh_token: 0 },
    mode: 'ok',
    delayMs: 1000,
    customResponse: { status: 200, body: {} },
    authorize,
    revoke,
    issueTokens,
    close,
  };

  handler = async (req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    if (req.method !== 'POST' || path !== '/token' || req.headers[HARNESS_HEADER] === harnessSecret) {
      await providerCallback(req, res);
      return;
    }
    // Read the body (small: oidc-provider caps it at 56 KiB) to learn the grant_type, then hand the
    // provider a replay of the request.
    const body = await readAll(req);
    const form = new URLSearchParams(body.toString('latin1'));
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code' || grantType === 'refresh_token') state.tokenRequests[grantType]++;

    const mode = state.mode;
    if (mode === 'http500') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error (injected)');
      return;
    }
    if (mode === 'custom') {
      res
        .writeHead(state.customResponse.status, {
          'content-type': 'application/json',
          'cache-control': 'no-store',
        })
        .end(JSON.stringify(state.customResponse.body));
      return;
    }
    if (mode === 'slow') {
      await sleep(state.delayMs);
      if (res.destroyed || req.socket.destroyed) return; // the client gave up: drop the request
    }
    // oidc-provider accepts client_secret_basic and client_secret_post interchangeably; insist on the
    // registered one, so tests catch a vault using the wrong method.
    const usedBasic = /^basic /i.test(req.headers.authorization ?? '');
    const usedPost = form.has('client_secret');
    if (authMethod === 'client_secret_basic' ? !usedBasic || usedPost : !usedPost || usedBasic) {
      res.writeHead(401, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(
        JSON.stringify({
          error: 'invalid_client',
          error_description: `client authentication must use ${authMethod}`,
        }),
      );
      return;
    }
    await providerCallback(replay(req, body), res);
  };

  const as: oauth.AuthorizationServer = {
    issuer,
    authorization_endpoint: state.authorizationUrl,
    token_endpoint: state.tokenUrl,
    revocation_endpoint: state.revocationUrl,
    authorization_response_iss_parameter_supported: true,
  };
  const client: oauth.Client = { client_id: clientId };
  const clientAuth =
    authMethod === 'client_secret_post'
      ? oauth.ClientSecretPost(clientSecret)
      : oauth.ClientSecretBasic(clientSecret);
  const harnessOptions = {
    [oauth.allowInsecureRequests]: true,
    headers: { [HARNESS_HEADER]: harnessSecret },
  };

  async function authorize(authorizationUrl: string, o: { accountId?: string; deny?: boolean } = {}) {
    const accountId = o.accountId ?? 'user-1';
    const jar = new Map<string, string>();
    let url = new URL(authorizationUrl);
    let method: 'GET' | 'POST' = 'GET';
    let form: URLSearchParams | undefined;

    for (let hop = 0; hop < 20; hop++) {
      const res = await fetch(url, {
        method,
        redirect: 'manual',
        body: form,
        headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      for (const line of res.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        const name = pair.slice(0, eq).trim();
        const value = pair.slice(eq + 1).trim();
        if (!value || /expires=thu, 01 jan 1970/i.test(line)) jar.delete(name);
        else jar.set(name, value);
      }

      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        const next = new URL(location, url);
        if (redirectUris.some((uri) => next.href.startsWith(uri))) return next;
        url = next;
        method = 'GET';
        form = undefined;
        continue;
      }

      const html = await res.text();
      const prompt = /name="prompt" value="(login|consent)"/.exec(html)?.[1];
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      if (res.status !== 200 || !prompt || !action) {
        throw new Error(
          `authorize: unexpected ${res.status} response from ${url.pathname}: ${html.slice(0, 500)}`,
        );
      }
      if (o.deny) {
        const abort = /href="([^"]*\/abort)"/.exec(html)?.[1];
        if (!abort) throw new Error('authorize: no abort link on the interaction page');
        url = new URL(unescapeHtml(abort), url);
        continue; // method stays GET
      }
      url = new URL(unescapeHtml(action), url);
      method = 'POST';
      form =
        prompt === 'login'
          ? new URLSearchParams({ prompt, login: accountId, password: 'any' })
          : new URLSearchParams({ prompt });
    }
    throw new Error('authorize: too many redirects');
  }

  async function issueTokens(o: { scope?: string; accountId?: string } = {}): Promise<TokenSet> {
    const redirectUri = redirectUris[0];
    if (!redirectUri) throw new Error('issueTokens: no redirect URI registered');
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const expectedState = oauth.generateRandomState();
    const authUrl = new URL(state.authorizationUrl);
    authUrl.search = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: o.scope ?? 'read write',
      state: expectedState,
      code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    }).toString();
    const callback = await authorize(authUrl.href, { accountId: o.accountId });
    const params = oauth.validateAuthResponse(as, client, callback, expectedState);
    const res = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      clientAuth,
      params,
      redirectUri,
      codeVerifier,
      harnessOptions,
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, res);
    if (!tokens.refresh_token || tokens.expires_in === undefined) {
      throw new Error('issueTokens: token response lacks refresh_token or expires_in');
    }
    return {
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      expires_in: tokens.expires_in,
    };
  }

  async function revoke(refreshToken: string): Promise<void> {
    const res = await oauth.revocationRequest(as, client, clientAuth, refreshToken, {
      ...harnessOptions,
      additionalParameters: { token_type_hint: 'refresh_token' },
    });
    await oauth.processRevocationResponse(res);
  }

  async function close(): Promise<void> {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  return state;
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A readable copy of an already-consumed request, carrying what Koa and oidc-provider read from it. */
function replay(req: IncomingMessage, body: Buffer): IncomingMessage {
  const copy = Readable.from([body], { objectMode: false });
  return Object.assign(copy, {
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
    socket: req.socket,
    connection: req.socket,
    complete: true,
    trailers: {},
    rawTrailers: [],
  }) as unknown as IncomingMessage;
}

function unescapeHtml(s: string): string {
  return s
    .replaceAll('&amp;', '&')
    .replaceAll('&#x2F;', '/')
    .replaceAll('&#47;', '/')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'");
}

/** Runs `fn` with oidc-provider's start-up notices (dev keys, in-memory adapter, ...) silenced. */
function quietly<T>(fn: () => T): T {
  const { warn, info } = console;
  const filter =
    (log: (...args: unknown[]) => void) =>
    (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('oidc-provider ')) return;
      log(...args);
    };
  console.warn = filter(warn);
  console.info = filter(info);
  try {
    return fn();
  } finally {
    console.warn = warn;
    console.info = info;
  }
}
