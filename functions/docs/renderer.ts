import { serveAsset } from '../../lib/http/assets.js';
import { route } from '../../lib/http/route.js';
import { dashboardRoutes } from '../dashboard/routes.js';

const { assets } = dashboardRoutes.docsRenderer;
export const handler = route(dashboardRoutes.docsRenderer, async ({ params, event }) =>
  serveAsset(assets, params.file, event.headers?.['if-none-match']),
);
