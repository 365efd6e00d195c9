import { config } from '../config.js';
import { loadKeyRing } from '../store/tenants.js';
import { DataKeys } from './data-keys.js';
import { type KeyProvider, KmsKeyProvider, LocalKeyProvider } from './key-provider.js';

// The process's key provider and data-key cache: KMS when KMS_KEY_ID is set (always, deployed),
// otherwise the local master key under VAULT_HOME.
export const keyProvider: KeyProvider = config.KMS_KEY_ID
  ? new KmsKeyProvider(config.KMS_KEY_ID)
  : new LocalKeyProvider(config.VAULT_HOME);

export const dataKeys = new DataKeys(keyProvider, loadKeyRing);
