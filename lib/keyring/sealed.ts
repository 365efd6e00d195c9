import type { SealRef } from '../crypto/envelope.js';

// Every kind of item in a tenant's partition that holds sealed values, with where each value is
// bound (its SealRef, as the module that seals it builds it) and the attribute it is stored in.
// Connect sessions (PK CONNECT#...) live outside the partition: they expire within 10 minutes, so
// an old version is retired only after DATA_KEY_RETIRE_AFTER_SECONDS covers them.
// A kind added here with the wrong record or field fails to open, so the job counts it as failed
// and never retires the version: test/integration/data-key-lifecycle.test.ts seals one of each.

export interface SealedField {
  attribute: string;
  ref: SealRef;
}

type Item = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : '');

const kinds: Record<
  string,
  (tenantId: string, item: Item) => { record: string; fields: [string, string][] }
> = {
  // lib/tokens/service.ts
  token: (_t, i) => ({
    record: `token#${str(i.id)}`,
    fields: [
      ['access_token_enc', 'access_token'],
      ['refresh_token_enc', 'refresh_token'],
    ],
  }),
  // lib/providers/oauth.ts appSealRef
  oauth_app: (_t, i) => ({
    record: `oauth_app#${str(i.provider)}`,
    fields: [['client_secret_enc', 'client_secret']],
  }),
  // lib/webhooks/secrets.ts
  webhook: (_t, i) => ({
    record: `webhook#${str(i.id)}`,
    fields: [
      ['secret_enc', 'secret'],
      ['previous_secret_enc', 'previous_secret'],
    ],
  }),
  // lib/connect/service.ts pendingRef
  pending_connection: (_t, i) => ({
    record: `connection#${str(i.code_hash)}`,
    fields: [
      ['access_token_enc', 'access_token'],
      ['refresh_token_enc', 'refresh_token'],
    ],
  }),
  // lib/http/idempotency.ts: the key hash is the SK's suffix
  idempotency: (_t, i) => ({
    record: `idempotency#${str(i.SK).slice('IDEMPOTENCY#'.length)}`,
    fields: [['response_enc', 'response']],
  }),
};

/** The sealed values an item of the tenant's partition holds (none for kinds without secrets). */
export function sealedFields(tenantId: string, item: Item): SealedField[] {
  const kind = kinds[str(item.type)];
  if (!kind) return [];
  const { record, fields } = kind(tenantId, item);
  return fields
    .filter(([attribute]) => typeof item[attribute] === 'string' && item[attribute] !== '')
    .map(([attribute, field]) => ({ attribute, ref: { tenantId, record, field } }));
}
