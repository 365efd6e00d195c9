import { createApiKey } from '../../lib/auth/api-keys.js';
import { toApiKeyView } from '../../lib/auth/views.js';
import { created } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { apiKeyRoutes } from './routes.js';

export const handler = route(apiKeyRoutes.createApiKey, async ({ auth, body, audit }) => {
  const { record, apiKey } = await createApiKey(auth.tenantId, body.name, body.scopes, audit);
  return created({ ...toApiKeyView(record), api_key: apiKey });
});
