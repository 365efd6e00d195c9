import { serveAsset } from '../../lib/http/assets.js';
import { route } from '../../lib/http/route.js';
import { routes } from '../routes.js';

const { assets } = routes.docsRenderer;
export const handler = route(routes.docsRenderer, async ({ params, event }) =>
  serveAsset(assets, params.file, event.headers?.['if-none-match']),
);
