import { dataKeys } from '../keyring/index.js';
import type { WebhookRecord } from '../store/webhooks.js';

// Webhook signing secrets are sealed like tokens: per tenant, bound to record `webhook#<id>` and
// to the field, so a ciphertext copied to another endpoint or field does not open.

type Owner = Pick<WebhookRecord, 'tenant_id' | 'id'>;

const sealRef = (w: Owner, field: 'secret' | 'previous_secret') => ({
  tenantId: w.tenant_id,
  record: `webhook#${w.id}`,
  field,
});

export const sealSecret = (w: Owner, secret: string) => dataKeys.encrypt(sealRef(w, 'secret'), secret);
export const sealPreviousSecret = (w: Owner, secret: string) =>
  dataKeys.encrypt(sealRef(w, 'previous_secret'), secret);
export const openSecret = (w: WebhookRecord) => dataKeys.decrypt(sealRef(w, 'secret'), w.secret_enc);

/** The secrets that sign now: the current one, and the previous one during its grace period. */
export async function signingSecrets(w: WebhookRecord, now: number): Promise<string[]> {
  const previous =
    w.previous_secret_enc !== null &&
    w.previous_secret_expires_at !== null &&
    Date.parse(w.previous_secret_expires_at) > now
      ? w.previous_secret_enc
      : null;
  return Promise.all([
    openSecret(w),
    ...(previous ? [dataKeys.decrypt(sealRef(w, 'previous_secret'), previous)] : []),
  ]);
}
