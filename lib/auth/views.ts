import type { ApiKeyRecord } from '../store/api-keys.js';
import type { Scope } from './scopes.js';

/** What a client may see of an API key: never the hash. */
export const toApiKeyView = (k: ApiKeyRecord) => ({
  id: k.id,
  name: k.name,
  scopes: k.scopes as Scope[],
  prefix: k.prefix,
  created_at: k.created_at,
  last_used_at: k.last_used_at,
});
