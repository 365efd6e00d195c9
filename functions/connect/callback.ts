import { completeCallback } from '../../lib/connect/service.js';
import { auditContext } from '../../lib/http/audit-context.js';
import { redirect } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { callbackUrl } from '../../lib/public-url.js';
import { connectRoutes } from './routes.js';

// The provider sends the user's browser here; the vault sends it on to the app's redirect_url.
// No API key: a token it stores is recorded as the system's callback, with the browser's request.
const actor = { type: 'system', name: 'ConnectCallback' } as const;

export const handler = route(connectRoutes.connectCallback, async ({ event }) =>
  redirect(
    await completeCallback(
      new URL(`${callbackUrl(event)}?${event.rawQueryString}`),
      auditContext(event, actor),
    ),
  ),
);
