import { z } from 'zod';
import {
  apiKeyList,
  createApiKeyBody,
  createdApiKeySchema,
  registerBody,
  registerResponse,
} from '../lib/auth/schemas.js';
import { idParams, pageQuery } from '../lib/http/schemas.js';
import type { Access, JobDef, RouteDef } from '../lib/http/types.js';
import {
  createTokenBody,
  listTokensQuery,
  tokenList,
  tokenSchema,
  tokenWithSecretsSchema,
  updateTokenBody,
} from '../lib/tokens/schemas.js';
import { webhookJobs, webhookRoutes } from './webhooks/routes.js';

// The route table: every HTTP route exists here once. The CDK stack makes one function per
// entry (with IAM derived from `access`), the local server serves the same entries, and the
// OpenAPI document is generated from their schemas.

const none: Access = { table: 'none', kms: [] };
const read: Access = { table: 'read', kms: ['decrypt'] };
const write: Access = { table: 'write', kms: ['decrypt'] };

const define = <const D extends RouteDef>(d: D) => d;

export const routes = {
  health: define({
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
  openapi: define({
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
  docs: define({
    id: 'Docs',
    method: 'GET',
    path: '/docs',
    entry: 'functions/docs/page.ts',
    summary: 'This API, rendered for people',
    tag: 'meta',
    scope: null,
    access: none,
    responses: { 200: { description: 'An HTML page', contentType: 'text/html' } },
    // The page loads its renderer from a CDN, pinned by version and integrity hash.
    csp: {
      'default-src': "'none'",
      'script-src': 'https://cdn.jsdelivr.net',
      'style-src': "'unsafe-inline' https://fonts.googleapis.com",
      'font-src': 'https://fonts.gstatic.com',
      'img-src': 'data: https://cdn.redoc.ly',
      'connect-src': "'self'",
      'worker-src': 'blob:',
      'base-uri': "'none'",
      'frame-ancestors': "'none'",
    },
  }),

  register: define({
    id: 'Register',
    method: 'POST',
    path: '/v1/auth/register',
    entry: 'functions/auth/register.ts',
    summary: 'Create a tenant and its first admin API key',
    tag: 'auth',
    scope: null,
    access: { table: 'write', kms: ['generate'] },
    body: registerBody,
    headers: { 'x-registration-secret': 'Operator secret, required when registration is closed.' },
    responses: { 201: { description: 'Registered', schema: registerResponse } },
    errors: [400, 403, 409, 413, 415, 422],
  }),
  createApiKey: define({
    id: 'CreateApiKey',
    method: 'POST',
    path: '/v1/api-keys',
    entry: 'functions/api-keys/create.ts',
    summary: 'Create an API key',
    tag: 'api-keys',
    scope: 'admin',
    access: { table: 'write', kms: [] },
    body: createApiKeyBody,
    responses: { 201: { description: 'Created; the key is shown once', schema: createdApiKeySchema } },
    errors: [400, 401, 403, 413, 415, 422],
  }),
  listApiKeys: define({
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
    errors: [400, 401, 403, 422],
  }),
  revokeApiKey: define({
    id: 'RevokeApiKey',
    method: 'DELETE',
    path: '/v1/api-keys/{id}',
    entry: 'functions/api-keys/revoke.ts',
    summary: 'Revoke an API key',
    tag: 'api-keys',
    scope: 'admin',
    access: { table: 'write', kms: [] },
    params: idParams,
    responses: { 204: { description: 'Revoked; it stops working within the auth cache time' } },
    errors: [401, 403, 404, 409],
  }),

  createToken: define({
    id: 'CreateToken',
    method: 'POST',
    path: '/v1/tokens',
    entry: 'functions/tokens/create.ts',
    summary: 'Store a token',
    tag: 'tokens',
    scope: 'tokens:write',
    access: write,
    body: createTokenBody,
    responses: { 201: { description: 'Stored', schema: tokenSchema } },
    errors: [400, 401, 403, 409, 413, 415, 422],
  }),
  listTokens: define({
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
    errors: [400, 401, 403, 422],
  }),
  getToken: define({
    id: 'GetToken',
    method: 'GET',
    path: '/v1/tokens/{id}',
    entry: 'functions/tokens/get.ts',
    summary: 'Get a token with its secrets',
    tag: 'tokens',
    scope: 'tokens:read',
    access: read,
    params: idParams,
    responses: { 200: { description: 'The token, decrypted', schema: tokenWithSecretsSchema } },
    errors: [401, 403, 404],
  }),
  updateToken: define({
    id: 'UpdateToken',
    method: 'PUT',
    path: '/v1/tokens/{id}',
    entry: 'functions/tokens/update.ts',
    summary: "Update a token's fields",
    tag: 'tokens',
    scope: 'tokens:write',
    access: write,
    params: idParams,
    body: updateTokenBody,
    responses: { 200: { description: 'Updated', schema: tokenSchema } },
    errors: [400, 401, 403, 404, 409, 413, 415, 422],
  }),
  deleteToken: define({
    id: 'DeleteToken',
    method: 'DELETE',
    path: '/v1/tokens/{id}',
    entry: 'functions/tokens/delete.ts',
    summary: 'Delete a token',
    tag: 'tokens',
    scope: 'tokens:write',
    access: write,
    params: idParams,
    responses: { 204: { description: 'Deleted' } },
    errors: [401, 403, 404],
  }),
  ...webhookRoutes,
} as const satisfies Record<string, RouteDef>;

export const routeList: RouteDef[] = Object.values(routes);

/** Functions that are not routes. */
export const jobs: JobDef[] = [...webhookJobs];
