import { docsPage } from '../../lib/http/docs-page.js';
import { html } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { metaRoutes } from './routes.js';

// Relative URL: works behind any API Gateway stage prefix and on the local server alike.
export const handler = route(metaRoutes.docs, async () => html(docsPage('openapi.json')));
