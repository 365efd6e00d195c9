import * as z from 'zod';
import {
  createOAuthAppBody,
  oauthAppList,
  oauthAppSchema,
  providerParams,
} from '../../lib/providers/schemas.js';
import { pageQuery } from '../../lib/schemas.js';
import { defineRoute, type VaultRouteDef, write } from '../defs.js';

// The tenant's OAuth clients, one per provider. Spread into functions/routes.ts.

export const oauthAppRoutes = {
  createOAuthApp: defineRoute({
    id: 'CreateOAuthApp',
    method: 'POST',
    path: '/v1/oauth-apps',
    entry: 'functions/oauth-apps/create.ts',
    summary: "Register the tenant's OAuth client for a provider",
    tag: 'oauth-apps',
    scope: 'admin',
    audit: { action: 'oauth_app.create', target: 'oauth_app' },
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
    audit: { action: 'oauth_app.delete', target: 'oauth_app' },
    access: { table: 'write', kms: ['decrypt'] },
    params: providerParams,
    responses: { 204: { description: 'Deleted' } },
  }),
} satisfies Record<string, VaultRouteDef>;
