import { created } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { toOAuthAppView } from '../../lib/providers/app-views.js';
import { createOAuthApp } from '../../lib/providers/apps.js';
import { callbackUrl } from '../../lib/public-url.js';
import { oauthAppRoutes } from './routes.js';

export const handler = route(oauthAppRoutes.createOAuthApp, async ({ auth, body, event, audit }) =>
  created(toOAuthAppView(await createOAuthApp(auth.tenantId, body, audit), callbackUrl(event))),
);
