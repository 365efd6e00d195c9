import * as z from 'zod';
import {
  apiKeyList,
  createApiKeyBody,
  createdApiKeySchema,
  dataKeyRotationSchema,
  registerBody,
  registerResponse,
} from '../lib/auth/schemas.js';
import { idParams, pageQuery } from '../lib/http/schemas.js';
import { type Access, defineRoute, type JobDef, type RouteDef } from '../lib/http/types.js';
import {
  callbackQuery,
  createOAuthAppBody,
  createSessionBody,
  exchangeConnectBody,
  oauthAppList,
  oauthAppSchema,
  providerList,
  providerParams,
  sessionSchema,
} from '../lib/providers/schemas.js';
import { REFRESH_ON_DEMAND } from '../lib/refresh/on-demand.js';
import {
  createTokenBody,
  listTokensQuery,
  refreshedTokenSchema,
  tokenList,
  tokenSchema,
  tokenWithSecretsSchema,
  updateTokenBody,
} from '../lib/tokens/schemas.js';
import { billingJobs, billingRoutes } from './billing/routes.js';
import { dashboardRoutes } from './dashboard/routes.js';
import { proxyRoutes } from './proxy/routes.js';
import { webhookJobs, webhookRoutes } from './webhooks/routes.js';

// The route table: every HTTP route exists here once. The CDK stack makes one function per
// entry (with IAM derived from `access`), the local server serves the same entries, and the
// OpenAPI document is generated from their schemas. Authenticated writes take an Idempotency-Key
// whose record is sealed with the tenant's data key: they need table write and kms decrypt.

const none: Access = { table: 'none', kms: [] };
const read: Access = { table: 'read', kms: ['decrypt'] };
const write: Access = { table: 'write', kms: ['decrypt'] };
/** Token writes commit events, handed to the webhook queue right after commit. */
const tokenWrite: Access = { ...write, queue: true };
/** Token writes that first call an OAuth provider's token endpoint. */
const oauthCall: Access = { ...tokenWrite, outbound: true };

export const routes = {
  health: defineRoute({
    id: 'Health',
    method: 'GET',
    path: '/health',
    entry: 'functions/health.ts',
    summary: 'Liveness check',
    tag: 'meta',
    scope: null,
    access: none,
    responses: { 200: { description: 'Up', schema: z.object({ status: z.literal('ok') }) } },
  }),
  openapi: defineRoute({
    id: 'OpenApi',
    method: 'GET',
    path: '/openapi.json',
    entry: 'functions/docs/openapi.ts',
    summary: 'This API as an OpenAPI 3.1 document',
    tag: 'meta',
    scope: null,
    access: none,
    responses: { 200: { description: 'The OpenAPI document' } },
  }),
  docs: defineRoute({
    id: 'Docs',
    method: 'GET',
    path: '/docs',
    entry: 'functions/docs/page.ts',
    summary: 'This API, rendered for people',
    tag: 'meta',
    scope: null,
    access: none,
    responses: { 200: { description: 'An HTML page', contentType: 'text/html' } },
    // The renderer is served by the vault (GET /docs/redoc.standalone.js): only its own script
    // runs. Redoc injects its styles at run time and runs its search index in a blob: worker.
    csp: {
      'default-src': "'none'",
      'script-src': "'self'",
      'style-src': "'self' 'unsafe-inline'",
      'img-src': "'self' data:",
      'font-src': "'self' data:",
      'connect-src': "'self'",
      'worker-src': 'blob:',
      'base-uri': "'none'",
      'form-action': "'none'",
      'frame-ancestors': "'none'",
    },
  }),

  register: defineRoute({
    id: 'Register',
    method: 'POST',
    path: '/v1/auth/register',
    entry: 'functions/auth/register.ts',
    summary: 'Create a tenant and its first admin API key',
    tag: 'auth',
    scope: null,
    access: { table: 'write', kms: ['generate'] },
    body: registerBody,
    secretHeader: {
      name: 'x-registration-secret',
      description: "The operator's secret; required when registration is closed.",
      optional: true,
    },
    responses: { 201: { description: 'Registered', schema: registerResponse } },
    errors: [403, 409],
  }),
  rotateDataKey: defineRoute({
    id: 'RotateDataKey',
    method: 'POST',
    path: '/v1/tenant/data-key/rotate',
    entry: 'functions/tenant/rotate-data-key.ts',
    summary: "Rotate the tenant's data key: new secrets are sealed with a new version, old ones still open",
    tag: 'tenant',
    scope: 'admin',
    // Generates the new version; decrypts only to seal an Idempotency-Key record.
    access: { table: 'write', kms: ['generate', 'decrypt'] },
    responses: { 200: { description: 'Rotated', schema: dataKeyRotationSchema } },
    errors: [409],
  }),

  createApiKey: defineRoute({
    id: 'CreateApiKey',
    method: 'POST',
    path: '/v1/api-keys',
    entry: 'functions/api-keys/create.ts',
    summary: 'Create an API key',
    tag: 'api-keys',
    scope: 'admin',
    access: { table: 'write', kms: ['decrypt'] },
    body: createApiKeyBody,
    responses: { 201: { description: 'Created; the key is shown once', schema: createdApiKeySchema } },
  }),
  listApiKeys: defineRoute({
    id: 'ListApiKeys',
    method: 'GET',
    path: '/v1/api-keys',
    entry: 'functions/api-keys/list.ts',
    summary: "List the tenant's active API keys",
    tag: 'api-keys',
    scope: 'admin',
    access: { table: 'read', kms: [] },
    query: z.strictObject(pageQuery),
    responses: { 200: { description: 'A page of keys', schema: apiKeyList } },
  }),
  revokeApiKey: defineRoute({
    id: 'RevokeApiKey',
    method: 'DELETE',
    path: '/v1/api-keys/{id}',
    entry: 'functions/api-keys/revoke.ts',
    summary: 'Revoke an API key',
    tag: 'api-keys',
    scope: 'admin',
    access: { table: 'write', kms: ['decrypt'] },
    params: idParams,
    responses: { 204: { description: 'Revoked; it stops working within the auth cache time' } },
    errors: [409],
  }),

  createToken: defineRoute({
    id: 'CreateToken',
    method: 'POST',
    path: '/v1/tokens',
    entry: 'functions/tokens/create.ts',
    summary: 'Store a token',
    tag: 'tokens',
    scope: 'tokens:write',
    access: tokenWrite,
    body: createTokenBody,
    responses: { 201: { description: 'Stored', schema: tokenSchema } },
    errors: [409],
  }),
  listTokens: defineRoute({
    id: 'ListTokens',
    method: 'GET',
    path: '/v1/tokens',
    entry: 'functions/tokens/list.ts',
    summary: "List the tenant's tokens (metadata only)",
    tag: 'tokens',
    scope: 'tokens:read',
    access: read,
    query: listTokensQuery,
    responses: { 200: { description: 'A page of tokens', schema: tokenList } },
  }),
  getToken: defineRoute({
    id: 'GetToken',
    method: 'GET',
    path: '/v1/tokens/{id}',
    entry: 'functions/tokens/get.ts',
    summary: 'Get a token with its secrets, refreshed first if it expires within the margin',
    tag: 'tokens',
    scope: 'tokens:read',
    // Reads only: a refresh that is due runs in RefreshOnDemand, which may write and call out.
    access: { ...read, invoke: [REFRESH_ON_DEMAND] },
    params: idParams,
    responses: { 200: { description: 'The token, decrypted', schema: tokenWithSecretsSchema } },
  }),
  updateToken: defineRoute({
    id: 'UpdateToken',
    method: 'PUT',
    path: '/v1/tokens/{id}',
    entry: 'functions/tokens/update.ts',
    summary: "Update a token's fields",
    tag: 'tokens',
    scope: 'tokens:write',
    access: tokenWrite,
    params: idParams,
    body: updateTokenBody,
    responses: { 200: { description: 'Updated', schema: tokenSchema } },
    errors: [409],
  }),
  deleteToken: defineRoute({
    id: 'DeleteToken',
    method: 'DELETE',
    path: '/v1/tokens/{id}',
    entry: 'functions/tokens/delete.ts',
    summary: 'Delete a token',
    tag: 'tokens',
    scope: 'tokens:write',
    access: tokenWrite,
    params: idParams,
    responses: { 204: { description: 'Deleted' } },
  }),
  refreshToken: defineRoute({
    id: 'RefreshToken',
    method: 'POST',
    path: '/v1/tokens/{id}/refresh',
    entry: 'functions/tokens/refresh.ts',
    summary: 'Refresh a token now',
    tag: 'tokens',
    scope: 'tokens:write',
    access: oauthCall,
    params: idParams,
    responses: {
      200: {
        description:
          'The refreshed token; its secrets only to a key that may also read them (tokens:read or admin)',
        schema: refreshedTokenSchema,
      },
    },
    errors: [409, 502, 503],
  }),

  listProviders: defineRoute({
    id: 'ListProviders',
    method: 'GET',
    path: '/v1/providers',
    entry: 'functions/providers/list.ts',
    summary: 'The catalog of OAuth providers',
    tag: 'providers',
    scope: 'tokens:read',
    // The catalog is code: no table access beyond verifying the API key.
    access: none,
    responses: { 200: { description: 'Every provider', schema: providerList } },
  }),
  createOAuthApp: defineRoute({
    id: 'CreateOAuthApp',
    method: 'POST',
    path: '/v1/oauth-apps',
    entry: 'functions/oauth-apps/create.ts',
    summary: "Register the tenant's OAuth client for a provider",
    tag: 'oauth-apps',
    scope: 'admin',
    access: write,
    body: createOAuthAppBody,
    responses: { 201: { description: 'Registered (the secret is never returned)', schema: oauthAppSchema } },
    errors: [409],
  }),
  listOAuthApps: defineRoute({
    id: 'ListOAuthApps',
    method: 'GET',
    path: '/v1/oauth-apps',
    entry: 'functions/oauth-apps/list.ts',
    summary: "List the tenant's OAuth apps",
    tag: 'oauth-apps',
    scope: 'admin',
    access: { table: 'read', kms: [] },
    query: z.strictObject(pageQuery),
    responses: { 200: { description: 'A page of apps', schema: oauthAppList } },
  }),
  deleteOAuthApp: defineRoute({
    id: 'DeleteOAuthApp',
    method: 'DELETE',
    path: '/v1/oauth-apps/{provider}',
    entry: 'functions/oauth-apps/delete.ts',
    summary: 'Delete an OAuth app',
    tag: 'oauth-apps',
    scope: 'admin',
    access: { table: 'write', kms: ['decrypt'] },
    params: providerParams,
    responses: { 204: { description: 'Deleted' } },
  }),

  createConnectSession: defineRoute({
    id: 'CreateConnectSession',
    method: 'POST',
    path: '/v1/connect/sessions',
    entry: 'functions/connect/create-session.ts',
    summary: 'Start connecting a user: get the URL to send their browser to',
    tag: 'connect',
    scope: 'tokens:write',
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

  ...webhookRoutes,
  ...proxyRoutes,
  ...dashboardRoutes,
  ...billingRoutes,
} as const satisfies Record<string, RouteDef>;

export const routeList: RouteDef[] = Object.values(routes);

/** Functions that are not routes. */
export const jobs: JobDef[] = [
  {
    id: 'RefreshDue',
    entry: 'functions/jobs/refresh-due.ts',
    summary: 'Refresh the tokens due, from the sparse refresh index',
    access: oauthCall,
    trigger: 'schedule',
    timeoutSeconds: 240,
  },
  {
    id: REFRESH_ON_DEMAND,
    entry: 'functions/jobs/refresh-on-demand.ts',
    summary: 'Refresh one token that GetToken found near expiry (invoked by GetToken)',
    access: oauthCall,
    trigger: 'invoke',
    // Within GetToken's 29 s: the engine waits at most 25 s for another refresh's lease.
    timeoutSeconds: 27,
  },
  ...webhookJobs,
  ...billingJobs,
];
