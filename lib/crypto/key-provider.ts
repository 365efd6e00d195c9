import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { kms } from '../aws.js';
import { runningInLambda } from '../config.js';

/** KMS encryption context: every wrapped data key is bound to its tenant and version. */
export type KeyContext = Record<string, string>;

export interface DataKey {
  plaintext: Buffer;
  wrapped: Buffer;
}

/** Makes and unwraps 256-bit data keys. Deployed: AWS KMS. Under `npm start`: a local master key. */
export interface KeyProvider {
  readonly name: string;
  generateDataKey(context: KeyContext): Promise<DataKey>;
  decryptDataKey(wrapped: Buffer, context: KeyContext): Promise<Buffer>;
}

export class KmsKeyProvider implements KeyProvider {
  readonly name = 'kms';
  constructor(private readonly keyId: string) {}

  async generateDataKey(context: KeyContext): Promise<DataKey> {
    const out = await kms.send(
      new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: context }),
    );
    if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS GenerateDataKey returned no key');
    return { plaintext: Buffer.from(out.Plaintext), wrapped: Buffer.from(out.CiphertextBlob) };
  }

  async decryptDataKey(wrapped: Buffer, context: KeyContext): Promise<Buffer> {
    // KeyId pins the key: a blob wrapped under any other key is refused.
    const out = await kms.send(
      new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: wrapped, EncryptionContext: context }),
    );
    if (!out.Plaintext) throw new Error('KMS Decrypt returned no key');
    return Buffer.from(out.Plaintext);
  }
}

/** Canonical form of an encryption context, used as AAD by the local provider (as KMS binds it). */
export function canonicalContext(context: KeyContext): Buffer {
  const sorted = Object.keys(context)
    .sort()
    .map((k) => [k, context[k]]);
  return Buffer.from(JSON.stringify(sorted));
}

const LOCAL_WRAP_VERSION = 0x01;

/**
 * Wraps data keys with AES-256-GCM under a master key kept in a local file (made on first run,
 * mode 0600). For `npm start` only: it refuses to run inside Lambda.
 */
export class LocalKeyProvider implements KeyProvider {
  readonly name = 'local';
  private readonly master: Buffer;

  constructor(home: string) {
    if (runningInLambda()) {
      throw new Error('The local key provider must not run in Lambda: set KMS_KEY_ID.');
    }
    this.master = loadOrCreateMasterKey(home);
  }

  async generateDataKey(context: KeyContext): Promise<DataKey> {
    const plaintext = randomBytes(32);
    return { plaintext, wrapped: this.wrap(plaintext, context) };
  }

  async decryptDataKey(wrapped: Buffer, context: KeyContext): Promise<Buffer> {
    if (wrapped.length !== 1 + 12 + 32 + 16 || wrapped[0] !== LOCAL_WRAP_VERSION) {
      throw new Error('Malformed wrapped data key');
    }
    const nonce = wrapped.subarray(1, 13);
    const body = wrapped.subarray(13, 45);
    const tag = wrapped.subarray(45);
    const decipher = createDecipheriv('aes-256-gcm', this.master, nonce);
    decipher.setAAD(canonicalContext(context));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  }

  private wrap(plaintext: Buffer, context: KeyContext): Buffer {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.master, nonce);
    cipher.setAAD(canonicalContext(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([LOCAL_WRAP_VERSION]), nonce, body, cipher.getAuthTag()]);
  }
}

function loadOrCreateMasterKey(home: string): Buffer {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const file = join(home, 'master.key');
  try {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${file} does not hold a 256-bit key`);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const key = randomBytes(32);
    // 'wx' fails if another process created it meanwhile; then read theirs.
    try {
      writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateMasterKey(home);
      throw e;
    }
    chmodSync(file, 0o600);
    return key;
  }
}
