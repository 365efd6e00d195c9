import { z } from 'zod';
import { assetParams } from '../../lib/dashboard/schemas.js';
import { defineRoute, none, type VaultRouteDef } from '../defs.js';

// Health and this API's own description (the OpenAPI document and its page). Spread into functions/routes.ts.

export const DOCS_ASSETS = ['node_modules/redoc/bundles/redoc.standalone.js'];

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
  docsRenderer: defineRoute({
    id: 'DocsRenderer',
    method: 'GET',
    path: '/docs/{file}',
    entry: 'functions/docs/renderer.ts',
    summary: "The /docs page's renderer (Redoc's standalone bundle, from its npm package)",
    tag: 'meta',
    scope: null,
    access: none,
    params: assetParams,
    responses: {
      200: { description: 'redoc.standalone.js', contentType: 'text/javascript' },
      304: { description: 'Not modified: If-None-Match holds its current ETag' },
    },
    errors: [404, 422],
    assets: DOCS_ASSETS,
  }),
} satisfies Record<string, VaultRouteDef>;
