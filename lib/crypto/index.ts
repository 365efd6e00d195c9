import { config } from '../config.js';
import { type KeyProvider, KmsKeyProvider, LocalKeyProvider } from './key-provider.js';

// The process's key provider: KMS when KMS_KEY_ID is set (always, deployed), otherwise the local
// master key under VAULT_HOME. The data-key cache that uses it lives in lib/keyring/index.ts,
// where the store's ring loader is injected (so lib/crypto imports nothing from lib/store).
export const keyProvider: KeyProvider = config.KMS_KEY_ID
  ? new KmsKeyProvider(config.KMS_KEY_ID)
  : new LocalKeyProvider(config.VAULT_HOME);
