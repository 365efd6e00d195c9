import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';

// AES-256-GCM sealing of one secret field. The stored form is
//   v1.<dek version>.<nonce, base64url>.<ciphertext||tag, base64url>
// and the AAD binds it to tenant, record and field, so a ciphertext copied to another row,
// field or tenant fails to open.

const PREFIX = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Where a sealed value lives: it opens only there. */
export interface SealRef {
  tenantId: string;
  /** Record identity, e.g. `token#tok_01H...`. */
  record: string;
  /** Field name, e.g. `access_token`. */
  field: string;
}

export class DecryptionError extends Error {
  constructor(message = 'Ciphertext could not be opened') {
    super(message);
    this.name = 'DecryptionError';
  }
}

// One AES key object per data key, made on first use: building it from the raw bytes on every field
// opened was the read path's largest cost of its own. Keyed weakly on the DEK buffer, so a DEK that
// the data-key cache drops takes its key object with it.
const keyObjects = new WeakMap<Buffer, KeyObject>();

function keyObject(dek: Buffer): KeyObject {
  let key = keyObjects.get(dek);
  if (!key) {
    key = createSecretKey(dek);
    keyObjects.set(dek, key);
  }
  return key;
}

export function aad(ref: SealRef, dekVersion: number): Buffer {
  return Buffer.from(
    ['token-vault', PREFIX, ref.tenantId, ref.record, ref.field, String(dekVersion)].join('\0'),
  );
}

export function seal(dek: Buffer, dekVersion: number, ref: SealRef, plaintext: string): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyObject(dek), nonce);
  cipher.setAAD(aad(ref, dekVersion));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${PREFIX}.${dekVersion}.${nonce.toString('base64url')}.${body.toString('base64url')}`;
}

/** Reads the DEK version from a sealed value without opening it. */
export function sealedVersion(sealed: string): number {
  const parts = sealed.split('.');
  const version = Number(parts[1]);
  if (parts.length !== 4 || parts[0] !== PREFIX || !Number.isInteger(version) || version < 1) {
    throw new DecryptionError('Malformed ciphertext');
  }
  return version;
}

export function open(dek: Buffer, ref: SealRef, sealed: string): string {
  const version = sealedVersion(sealed);
  const [, , nonceB64 = '', bodyB64 = ''] = sealed.split('.');
  const nonce = Buffer.from(nonceB64, 'base64url');
  const body = Buffer.from(bodyB64, 'base64url');
  if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES)
    throw new DecryptionError('Malformed ciphertext');
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyObject(dek), nonce);
    decipher.setAAD(aad(ref, version));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(body.subarray(0, body.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    throw new DecryptionError();
  }
}
