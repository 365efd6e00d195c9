import { serveAsset } from '../../lib/http/assets.js';
import { route } from '../../lib/http/route.js';
import { dashboardRoutes } from './routes.js';

const { assets } = dashboardRoutes.dashboardAsset;
export const handler = route(dashboardRoutes.dashboardAsset, async ({ params, event }) =>
  serveAsset(assets, params.file, event.headers?.['if-none-match']),
);
