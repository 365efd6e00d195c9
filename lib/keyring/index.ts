import { config } from '../config.js';
import { DataKeys } from '../crypto/data-keys.js';
import { keyProvider } from '../crypto/index.js';
import { loadKeyRing } from '../store/tenants.js';

/**
 * The process's data-key cache. The store's ring loader is injected here, outside lib/crypto, so
 * crypto and store do not import each other.
 */
export const dataKeys = new DataKeys(keyProvider, loadKeyRing, {
  maxAgeMs: config.DATA_KEY_CACHE_SECONDS * 1000,
  maxTenants: 1000,
});
