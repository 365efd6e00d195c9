import { job } from '../../lib/jobs.js';
import { refreshForRead } from '../../lib/refresh/engine.js';
import { type RefreshRequest, type RefreshResponse, refreshRequest } from '../../lib/refresh/on-demand.js';

// Invoked by GetToken when a token it read is due: the only function of the read path that may
// write a token and call a provider.
export const handler = job<RefreshRequest, RefreshResponse>(async (event) => {
  const { tenant_id, token_id } = refreshRequest.parse(event);
  return { token: await refreshForRead(tenant_id, token_id) };
});
