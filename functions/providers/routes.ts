import { providerList } from '../../lib/providers/schemas.js';
import { defineRoute, none, type VaultRouteDef } from '../defs.js';

// The provider catalog. Spread into functions/routes.ts.

export const providerRoutes = {
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
} satisfies Record<string, VaultRouteDef>;
