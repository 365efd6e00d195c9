import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OAuthServer, startOAuthServer } from '../helpers/oauth-server.js';

// Exercises the test authorization server the way the vault uses it: oauth4webapi as the client.

const REDIRECT_URI = 'http://127.0.0.1:45678/v1/connect/callback';

function clientFor(server: OAuthServer, method: 'basic' | 'post' = 'basic') {
  const as: oauth.AuthorizationServer = {
    issuer: server.issuer,
    authorization_endpoint: server.authorizationUrl,
    token_endpoint: server.tokenUrl,
    revocation_endpoint: server.revocationUrl,
    authorization_response_iss_parameter_supported: true,
  };
  const client: oauth.Client = { client_id: server.clientId };
  const auth =
    method === 'basic'
      ? oauth.ClientSecretBasic(server.clientSecret)
      : oauth.ClientSecretPost(server.clientSecret);
  const options = { [oauth.allowInsecureRequests]: true };

  return {
    as,
    client,
    async startAuthorization(scope = 'read write') {
      const codeVerifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      const url = new URL(server.authorizationUrl);
      url.search = new URLSearchParams({
        client_id: server.clientId,
        response_type: 'code',
        redirect_uri: REDIRECT_URI,
        scope,
        state,
        code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
      }).toString();
      return { url, state, codeVerifier };
    },
    async exchange(callback: URL, state: string, codeVerifier: string) {
      const params = oauth.validateAuthResponse(as, client, callback, state);
      const res = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        auth,
        params,
        REDIRECT_URI,
        codeVerifier,
        options,
      );
      return oauth.processAuthorizationCodeResponse(as, client, res);
    },
    refreshRequest: (refreshToken: string, signal?: AbortSignal) =>
      oauth.refreshTokenGrantRequest(as, client, auth, refreshToken, { ...options, signal }),
    async refresh(refreshToken: string) {
      return oauth.processRefreshTokenResponse(as, client, await this.refreshRequest(refreshToken));
    },
  };
}

async function expectInvalidGrant(promise: Promise<unknown>) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(oauth.ResponseBodyError);
  expect((err as oauth.ResponseBodyError).error).toBe('invalid_grant');
}

describe('OAuth test server (oidc-provider)', () => {
  let server: OAuthServer;
  let c: ReturnType<typeof clientFor>;

  beforeAll(async () => {
    server = await startOAuthServer({ redirectUris: [REDIRECT_URI] });
    c = clientFor(server);
  });
  afterAll(() => server?.close());

  it('runs the code flow with PKCE; the callback carries code, state and iss', async () => {
    const before = { ...server.tokenRequests };
    const { url, state, codeVerifier } = await c.startAuthorization();
    const callback = await server.authorize(url.href, { accountId: 'alice' });

    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(callback.searchParams.get('state')).toBe(state);
    expect(callback.searchParams.get('iss')).toBe(server.issuer);

    const tokens = await c.exchange(callback, state, codeVerifier);
    expect(tokens.access_token).toEqual(expect.any(String));
    expect(tokens.access_token.split('.')).toHaveLength(1); // opaque, not a JWT
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.scope).toBe('read write');
    expect(server.tokenRequests.authorization_code).toBe(before.authorization_code + 1);
  });

  it('requires PKCE', async () => {
    const url = new URL(server.authorizationUrl);
    url.search = new URLSearchParams({
      client_id: server.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'read',
      state: 'xyz',
    }).toString();
    const callback = await server.authorize(url.href);
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('error_description')).toMatch(/PKCE/);
    expect(callback.searchParams.get('state')).toBe('xyz');
  });

  it('rejects an unregistered redirect URI with an error page (no redirect)', async () => {
    const { url } = await c.startAuthorization();
    url.searchParams.set('redirect_uri', 'http://127.0.0.1:45679/v1/connect/callback');
    await expect(server.authorize(url.href)).rejects.toThrow(/redirect_uri/);
  });

  it('insists on the registered client authentication method at the token endpoint', async () => {
    const seeded = await server.issueTokens();
    const res = await clientFor(server, 'post').refreshRequest(seeded.refresh_token);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('rotates refresh tokens; the rotated one then fails with invalid_grant', async () => {
    const seeded = await server.issueTokens({ scope: 'read' });
    const before = server.tokenRequests.refresh_token;

    const refreshed = await c.refresh(seeded.refresh_token);
    expect(refreshed.access_token).not.toBe(seeded.access_token);
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(seeded.refresh_token);
    expect(refreshed.scope).toBe('read');

    await expectInvalidGrant(c.refresh(seeded.refresh_token));
    // Reuse detection revoked the whole grant: the newest refresh token is dead as well.
    await expectInvalidGrant(c.refresh(refreshed.refresh_token as string));
    expect(server.tokenRequests.refresh_token).toBe(before + 3);
  });

  it('revoke() makes the refresh token fail with invalid_grant', async () => {
    const seeded = await server.issueTokens();
    await server.revoke(seeded.refresh_token);
    await expectInvalidGrant(c.refresh(seeded.refresh_token));
  });

  it("mode 'http500' answers 500 without reaching the provider, and counts the request", async () => {
    const seeded = await server.issueTokens();
    const before = server.tokenRequests.refresh_token;
    server.mode = 'http500';
    try {
      const res = await c.refreshRequest(seeded.refresh_token);
      expect(res.status).toBe(500);
      expect(server.tokenRequests.refresh_token).toBe(before + 1);
    } finally {
      server.mode = 'ok';
    }
    // The failed attempt had no side effect: the refresh token still works.
    const refreshed = await c.refresh(seeded.refresh_token);
    expect(refreshed.refresh_token).not.toBe(seeded.refresh_token);
    expect(server.tokenRequests.refresh_token).toBe(before + 2);
  });

  it("mode 'slow' delays the answer; a request abandoned by its client is dropped", async () => {
    const seeded = await server.issueTokens();
    const before = server.tokenRequests.refresh_token;
    server.mode = 'slow';
    server.delayMs = 300;
    try {
      const started = Date.now();
      await expect(c.refreshRequest(seeded.refresh_token, AbortSignal.timeout(50))).rejects.toThrow();
      await new Promise((r) => setTimeout(r, 400)); // past the delay: the request was dropped

      const refreshed = await c.refresh(seeded.refresh_token);
      expect(Date.now() - started).toBeGreaterThanOrEqual(600);
      expect(refreshed.refresh_token).not.toBe(seeded.refresh_token);
      expect(server.tokenRequests.refresh_token).toBe(before + 2);
    } finally {
      server.mode = 'ok';
    }
  });

  it('deny: true → the callback carries error=access_denied (and state, iss)', async () => {
    const { url, state } = await c.startAuthorization();
    const callback = await server.authorize(url.href, { deny: true });
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('code')).toBeNull();
    expect(callback.searchParams.get('state')).toBe(state);
    expect(callback.searchParams.get('iss')).toBe(server.issuer);
    expect(() => oauth.validateAuthResponse(c.as, c.client, callback, state)).toThrow(
      oauth.AuthorizationResponseError,
    );
  });
});

describe('OAuth test server options', () => {
  it('client_secret_post, no rotation, custom access token TTL', async () => {
    const server = await startOAuthServer({
      redirectUris: [REDIRECT_URI],
      tokenEndpointAuthMethod: 'client_secret_post',
      rotateRefreshTokens: false,
      accessTokenTtl: 120,
    });
    try {
      const post = clientFor(server, 'post');
      const { url, state, codeVerifier } = await post.startAuthorization('read');
      const tokens = await post.exchange(await server.authorize(url.href), state, codeVerifier);
      expect(tokens.expires_in).toBe(120);
      const refresh = tokens.refresh_token as string;

      const first = await post.refresh(refresh);
      expect(first.refresh_token).toBe(refresh);
      const second = await post.refresh(refresh);
      expect(second.access_token).not.toBe(first.access_token);
      expect(second.expires_in).toBe(120);

      // Only the registered method is accepted.
      const basic = clientFor(server, 'basic');
      const err = await basic.refresh(refresh).catch((e: unknown) => e);
      expect((err as oauth.ResponseBodyError).error).toBe('invalid_client');

      const seeded = await server.issueTokens();
      await server.revoke(seeded.refresh_token);
      await expectInvalidGrant(post.refresh(seeded.refresh_token));
    } finally {
      await server.close();
    }
  });
});
