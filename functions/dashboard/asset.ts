import { serveAsset } from '../../lib/http/assets.js';
import { route } from '../../lib/http/route.js';
import { routes } from '../routes.js';

const { assets } = routes.dashboardAsset;
export const handler = route(routes.dashboardAsset, async ({ params, event }) =>
  serveAsset(assets, params.file, event.headers?.['if-none-match']),
);
