import { SESSION_COOKIE } from '../../lib/auth/session-cookie.js';
import { assetParams, dashboardSession, sessionIdentity, signInBody } from '../../lib/dashboard/schemas.js';
import { SELF_ONLY_CSP } from '../../lib/http/security-headers.js';
import { type Access, defineRoute, type VaultRouteDef } from '../defs.js';

// The dashboard (served by the vault itself, on the API's origin), its sessions, and the docs
// page's renderer. Spread into functions/routes.ts.

const none: Access = { table: 'none', kms: [] };
/** Sessions are table items; no tenant data key is needed. */
const sessionWrite: Access = { table: 'write', kms: [] };

export const DASHBOARD_ASSETS = ['dashboard/dist/app.js', 'dashboard/dist/app.css'];
export const DOCS_ASSETS = ['node_modules/redoc/bundles/redoc.standalone.js'];

export const dashboardRoutes = {
  dashboardPage: defineRoute({
    id: 'DashboardPage',
    method: 'GET',
    path: '/dashboard',
    entry: 'functions/dashboard/page.ts',
    summary: 'The dashboard (sign in with an admin API key)',
    tag: 'dashboard',
    scope: null,
    access: none,
    responses: { 200: { description: 'An HTML page', contentType: 'text/html' } },
    csp: SELF_ONLY_CSP,
  }),
  dashboardAsset: defineRoute({
    id: 'DashboardAsset',
    method: 'GET',
    path: '/dashboard/{file}',
    entry: 'functions/dashboard/asset.ts',
    summary: "The dashboard's script and styles",
    tag: 'dashboard',
    scope: null,
    access: none,
    params: assetParams,
    responses: {
      200: { description: 'app.js or app.css', contentType: 'text/javascript' },
      304: { description: 'Not modified: If-None-Match holds its current ETag' },
    },
    errors: [404, 422],
    assets: DASHBOARD_ASSETS,
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
  createDashboardSession: defineRoute({
    id: 'CreateDashboardSession',
    method: 'POST',
    path: '/v1/dashboard/session',
    entry: 'functions/dashboard/sign-in.ts',
    summary: 'Exchange an admin API key for a dashboard session cookie (same origin only)',
    tag: 'dashboard',
    scope: null,
    access: sessionWrite,
    body: signInBody,
    responses: {
      201: { description: 'Signed in; the session is in an HttpOnly cookie', schema: dashboardSession },
    },
    errors: [400, 401, 403, 413, 415, 422],
  }),
  getDashboardSession: defineRoute({
    id: 'GetDashboardSession',
    method: 'GET',
    path: '/v1/dashboard/session',
    entry: 'functions/dashboard/whoami.ts',
    summary: 'Who the caller is (the dashboard checks its session with this)',
    tag: 'dashboard',
    scope: 'admin',
    access: none,
    responses: { 200: { description: 'The caller', schema: sessionIdentity } },
    errors: [401, 403],
  }),
  deleteDashboardSession: defineRoute({
    id: 'DeleteDashboardSession',
    method: 'DELETE',
    path: '/v1/dashboard/session',
    entry: 'functions/dashboard/sign-out.ts',
    summary: "Sign out: end the cookie's session on the server",
    tag: 'dashboard',
    scope: null,
    access: sessionWrite,
    secretHeader: {
      name: SESSION_COOKIE,
      in: 'cookie',
      description: 'The dashboard session cookie, accepted from the dashboard’s own origin only.',
    },
    responses: { 204: { description: 'Signed out; the cookie is cleared' } },
    errors: [401],
  }),
} as const satisfies Record<string, VaultRouteDef>;
