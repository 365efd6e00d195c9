import { idParams } from '../../lib/http/schemas.js';
import { REFRESH_ON_DEMAND } from '../../lib/refresh/function-ids.js';
import {
  createTokenBody,
  listTokensQuery,
  refreshedTokenSchema,
  tokenList,
  tokenSchema,
  tokenWithSecretsSchema,
  updateTokenBody,
} from '../../lib/tokens/schemas.js';
import { defineRoute, oauthCall, read, tokenWrite, type VaultRouteDef } from '../defs.js';

// Stored tokens. Spread into functions/routes.ts.

export const tokenRoutes = {
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
    access: { ...read, invoke: [REFRESH_ON_DEMAND], audit: true },
    params: idParams,
    audit: { action: 'token.read', target: 'token' },
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
    audit: { action: 'token.update', target: 'token' },
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
    audit: { action: 'token.delete', target: 'token' },
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
    audit: { action: 'token.refresh', target: 'token' },
    responses: {
      200: {
        description:
          'The refreshed token; its secrets only to a key that may also read them (tokens:read or admin)',
        schema: refreshedTokenSchema,
      },
    },
    errors: [409, 502, 503],
  }),
} satisfies Record<string, VaultRouteDef>;
