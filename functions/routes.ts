import { apiKeyRoutes } from './api-keys/routes.js';
import { auditRoutes } from './audit/routes.js';
import { authRoutes } from './auth/routes.js';
import { billingJobs, billingRoutes } from './billing/routes.js';
import { connectRoutes } from './connect/routes.js';
import { dashboardRoutes } from './dashboard/routes.js';
import type { JobDef, VaultRouteDef } from './defs.js';
import { metaRoutes } from './docs/routes.js';
import { refreshJobs } from './jobs/routes.js';
import { oauthAppRoutes } from './oauth-apps/routes.js';
import { providerRoutes } from './providers/routes.js';
import { proxyRoutes } from './proxy/routes.js';
import { dataKeyJobs, dataKeyRoutes } from './tenant/data-key-routes.js';
import { tenantRoutes } from './tenant/routes.js';
import { tokenRoutes } from './tokens/routes.js';
import { webhookJobs, webhookRoutes } from './webhooks/routes.js';

// The route table: every HTTP route exists here once, assembled from the areas' own modules
// (functions/<area>/routes.ts; a handler imports only its own area's). The CDK stack makes one
// function per entry (with IAM derived from `access`), the local server serves the same entries,
// and the OpenAPI document is generated from their schemas.

export const routes = {
  ...metaRoutes,
  ...authRoutes,
  ...tenantRoutes,
  ...apiKeyRoutes,
  ...tokenRoutes,
  ...providerRoutes,
  ...oauthAppRoutes,
  ...connectRoutes,
  ...webhookRoutes,
  ...proxyRoutes,
  ...dashboardRoutes,
  ...billingRoutes,
  ...dataKeyRoutes,
  ...auditRoutes,
} as const satisfies Record<string, VaultRouteDef>;

export const routeList: VaultRouteDef[] = Object.values(routes);

/** Functions that are not routes. */
export const jobs: JobDef[] = [...refreshJobs, ...webhookJobs, ...billingJobs, ...dataKeyJobs];
