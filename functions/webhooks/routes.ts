import type { JobDef, RouteDef } from '../../lib/http/types.js';

// The webhook routes and jobs; functions/routes.ts folds them into the one route table.
export const webhookRoutes = {} satisfies Record<string, RouteDef>;
export const webhookJobs: JobDef[] = [];
