import {
  callbackQuery,
  createSessionBody,
  exchangeConnectBody,
  sessionSchema,
} from '../../lib/providers/schemas.js';
import { tokenSchema } from '../../lib/tokens/schemas.js';
import { defineRoute, oauthCall, tokenWrite, type VaultRouteDef, write } from '../defs.js';

// Connect: a user's OAuth consent, from session to stored token. Spread into functions/routes.ts.

export const connectRoutes = {
  createConnectSession: defineRoute({
    id: 'CreateConnectSession',
    method: 'POST',
    path: '/v1/connect/sessions',
    entry: 'functions/connect/create-session.ts',
    summary: 'Start connecting a user: get the URL to send their browser to',
    tag: 'connect',
    scope: 'tokens:write',
    audit: { action: 'connect.session_create', target: 'connect_session' },
    access: write,
    body: createSessionBody,
    responses: { 201: { description: 'Session created (valid ten minutes)', schema: sessionSchema } },
    errors: [409],
  }),
  connectCallback: defineRoute({
    id: 'ConnectCallback',
    method: 'GET',
    path: '/v1/connect/callback',
    entry: 'functions/connect/callback.ts',
    summary: "The provider's redirect target (register it with the provider)",
    tag: 'connect',
    scope: null,
    access: oauthCall,
    query: callbackQuery,
    responses: {
      302: {
        description:
          'Back to the redirect_url with provider, key and status=success&connect_code=... (or, for a session ' +
          'with confirm: false, status=success&token_id=...), or status=error&error=...',
      },
    },
    errors: [400],
  }),
  exchangeConnectCode: defineRoute({
    id: 'ExchangeConnectCode',
    method: 'POST',
    path: '/v1/connect/exchange',
    entry: 'functions/connect/exchange.ts',
    summary: 'Confirm a connection: exchange the one-time connect_code for the stored token',
    tag: 'connect',
    scope: 'tokens:write',
    audit: { action: 'connect.exchange', target: 'token' },
    // Opens the sealed pending tokens and seals them as the token; commits connection.created.
    access: tokenWrite,
    body: exchangeConnectBody,
    responses: {
      200: {
        description:
          'Confirmed: the token is stored under (provider, key), creating or replacing the one there, and ' +
          'connection.created fires. Metadata only; read the secrets with GET /v1/tokens/{id} (tokens:read). ' +
          'Call this only after checking that the browser that brought the code back belongs to the user you ' +
          "started the session for. An unknown, used, expired or another tenant's code is a 400.",
        schema: tokenSchema,
      },
    },
    // 409: a concurrent connect or delete of the same (provider, key) kept winning; retrying works.
    errors: [409],
  }),
} satisfies Record<string, VaultRouteDef>;
