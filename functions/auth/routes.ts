import { registerBody, registerResponse } from '../../lib/auth/schemas.js';
import { defineRoute, type VaultRouteDef } from '../defs.js';

// Registration: a tenant and its first admin API key. Spread into functions/routes.ts.

export const authRoutes = {
  register: defineRoute({
    id: 'Register',
    method: 'POST',
    path: '/v1/auth/register',
    entry: 'functions/auth/register.ts',
    summary: 'Create a tenant and its first admin API key',
    tag: 'auth',
    scope: null,
    access: { table: 'write', kms: ['generate'], registrationSecret: true },
    body: registerBody,
    secretHeader: {
      name: 'x-registration-secret',
      description: "The operator's secret; required when registration is closed.",
      optional: true,
    },
    responses: { 201: { description: 'Registered', schema: registerResponse } },
    errors: [403, 409],
  }),
} satisfies Record<string, VaultRouteDef>;
