import * as z from 'zod';
import { apiKeyList, createApiKeyBody, createdApiKeySchema } from '../../lib/auth/schemas.js';
import { idParams, pageQuery } from '../../lib/schemas.js';
import { defineRoute, type VaultRouteDef } from '../defs.js';

// The tenant's API keys. Spread into functions/routes.ts.

export const apiKeyRoutes = {
  createApiKey: defineRoute({
    id: 'CreateApiKey',
    method: 'POST',
    path: '/v1/api-keys',
    entry: 'functions/api-keys/create.ts',
    summary: 'Create an API key',
    tag: 'api-keys',
    scope: 'admin',
    audit: { action: 'api_key.create', target: 'api_key' },
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
    audit: { action: 'api_key.revoke', target: 'api_key' },
    access: { table: 'write', kms: ['decrypt'] },
    params: idParams,
    responses: { 204: { description: 'Revoked; it stops working within the auth cache time' } },
    errors: [409],
  }),
} satisfies Record<string, VaultRouteDef>;
