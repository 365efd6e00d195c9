import { serveAsset } from '../../lib/http/assets.js';
import { route } from '../../lib/http/route.js';
import { metaRoutes } from './routes.js';

const { assets } = metaRoutes.docsRenderer;
export const handler = route(metaRoutes.docsRenderer, async ({ params, event }) =>
  serveAsset(assets, params.file, event.headers?.['if-none-match']),
);
