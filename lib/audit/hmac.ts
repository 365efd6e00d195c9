import { createHmac } from 'node:crypto';
import { keyProvider } from '../crypto/index.js';
import { getWrappedAuditKey, putWrappedAuditKey } from '../store/audit.js';

// Correlatable values in audit events (an idempotency key, a webhook secret's fingerprint, a
// connect code) are stored as HMAC-SHA256, never as such. The HMAC key is the tenant's own audit
// key: made once, wrapped by the master key (KMS) under its own encryption context, and never
// rotated or retired with the tenant's data keys. Were it a data-key version, retiring that
// version would make old events' HMACs impossible to recompute, so nothing could be matched to
// them any more; a separate key keeps every event of the retention period correlatable.

/** The `purpose` the key policy allows (lib/crypto/data-keys.ts dekContext); `dek_version` names this key. */
const context = (tenantId: string) => ({
  purpose: 'token-vault/dek',
  tenant_id: tenantId,
  dek_version: 'audit-hmac',
});

const cache = new Map<string, Promise<Buffer>>();

async function auditKey(tenantId: string): Promise<Buffer> {
  const wrapped = await getWrappedAuditKey(tenantId);
  if (wrapped) return keyProvider.decryptDataKey(wrapped, context(tenantId));
  const made = await keyProvider.generateDataKey(context(tenantId));
  // Another process made it first: use that one.
  if (!(await putWrappedAuditKey(tenantId, made.wrapped))) return auditKey(tenantId);
  return made.plaintext;
}

/** `hmac-sha256:<base64url>` of `value` under the tenant's audit key. */
export async function auditHmac(tenantId: string, value: string): Promise<string> {
  let key = cache.get(tenantId);
  if (!key) {
    key = auditKey(tenantId);
    cache.set(tenantId, key);
    key.catch(() => cache.delete(tenantId));
  }
  return `hmac-sha256:${createHmac('sha256', await key)
    .update(value)
    .digest('base64url')}`;
}
