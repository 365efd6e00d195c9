import * as z from 'zod';
import { defineRoute, none, type VaultRouteDef } from '../defs.js';

// Health and this API's own description (the OpenAPI document and its page). Spread into functions/routes.ts.

export const metaRoutes = {
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
} satisfies Record<string, VaultRouteDef>;
