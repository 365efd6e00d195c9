import { revokeApiKey } from '../../lib/auth/api-keys.js';
import { noContent } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { apiKeyRoutes } from './routes.js';

export const handler = route(apiKeyRoutes.revokeApiKey, async ({ auth, params, audit }) => {
  await revokeApiKey(auth, params.id, audit);
  return noContent();
});
