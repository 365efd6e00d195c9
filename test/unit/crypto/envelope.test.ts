import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DecryptionError, open, type SealRef, seal, sealedVersion } from '../../../lib/crypto/envelope.js';

const dek = randomBytes(32);
const ref: SealRef = { tenantId: 'ten_a', record: 'token#tok_1', field: 'access_token' };
const PLAINTEXT = 'ya29.a0AfH6SMC-secret-access-token';

/** Replaces the body (ciphertext||tag) of a sealed value with `mutate(body)`. */
function withBody(sealed: string, mutate: (body: Buffer) => Buffer): string {
  const [prefix, version, nonce, body = ''] = sealed.split('.');
  return [prefix, version, nonce, mutate(Buffer.from(body, 'base64url')).toString('base64url')].join('.');
}

function flipByte(buf: Buffer, index: number): Buffer {
  const copy = Buffer.from(buf);
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
}

describe('envelope seal/open', () => {
  it('round-trips a secret', () => {
    // Prepare
    const sealed = seal(dek, 1, ref, PLAINTEXT);

    // Act
    const opened = open(dek, ref, sealed);

    // Assess
    expect(opened).toBe(PLAINTEXT);
  });

  it('round-trips an empty string and non-ASCII text', () => {
    // Act
    const empty = open(dek, ref, seal(dek, 1, ref, ''));
    const text = open(dek, ref, seal(dek, 1, ref, 'clé ✓ 秘密'));

    // Assess
    expect(empty).toBe('');
    expect(text).toBe('clé ✓ 秘密');
  });

  it('stores a versioned string: v1.<dek version>.<12-byte nonce>.<ciphertext||16-byte tag>', () => {
    // Act
    const sealed = seal(dek, 1, ref, PLAINTEXT);

    // Assess
    expect(sealed.startsWith('v1.1.')).toBe(true);
    const parts = sealed.split('.');
    expect(parts).toHaveLength(4);
    expect(Buffer.from(parts[2] ?? '', 'base64url')).toHaveLength(12);
    expect(Buffer.from(parts[3] ?? '', 'base64url')).toHaveLength(Buffer.byteLength(PLAINTEXT) + 16);
    expect(sealed).not.toContain(PLAINTEXT);
  });

  it('uses a fresh nonce: two seals of the same plaintext differ', () => {
    // Act
    const a = seal(dek, 1, ref, PLAINTEXT);
    const b = seal(dek, 1, ref, PLAINTEXT);

    // Assess
    expect(a).not.toBe(b);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
    expect(open(dek, ref, a)).toBe(PLAINTEXT);
    expect(open(dek, ref, b)).toBe(PLAINTEXT);
  });

  it.each([
    ['another tenant', { ...ref, tenantId: 'ten_b' }],
    ['another record', { ...ref, record: 'token#tok_2' }],
    ['another field', { ...ref, field: 'refresh_token' }],
  ])('refuses to open under %s (AAD binding)', (_label, otherRef) => {
    // Prepare
    const sealed = seal(dek, 1, ref, PLAINTEXT);

    // Act
    const elsewhere = () => open(dek, otherRef, sealed);
    const here = open(dek, ref, sealed);

    // Assess
    expect(elsewhere).toThrow(DecryptionError);
    expect(here).toBe(PLAINTEXT);
  });

  it('AAD parts cannot be shifted between fields (tenant "a" + record "b\\0c" vs "a\\0b" + "c")', () => {
    // Prepare
    const sealed = seal(dek, 1, { tenantId: 'a', record: 'b', field: 'c' }, PLAINTEXT);

    // Act
    const otherField = () => open(dek, { tenantId: 'a', record: 'b', field: 'd' }, sealed);
    const shifted = () => open(dek, { tenantId: 'ab', record: '', field: 'c' }, sealed);

    // Assess
    expect(otherField).toThrow(DecryptionError);
    expect(shifted).toThrow(DecryptionError);
  });

  it('refuses to open with another key', () => {
    // Prepare
    const sealed = seal(dek, 1, ref, PLAINTEXT);

    // Act
    const withOtherKey = () => open(randomBytes(32), ref, sealed);

    // Assess
    expect(withOtherKey).toThrow(DecryptionError);
  });

  it('detects a flipped byte anywhere in the body, including the tag', () => {
    // Prepare
    const sealed = seal(dek, 1, ref, PLAINTEXT);
    const bodyLength = Buffer.byteLength(PLAINTEXT) + 16;
    const positions = [0, 1, Math.floor(bodyLength / 2), bodyLength - 17, bodyLength - 16, bodyLength - 1];

    for (const position of positions) {
      // Act
      const tampered = withBody(sealed, (body) => flipByte(body, position));

      // Assess
      expect(tampered).not.toBe(sealed);
      expect(() => open(dek, ref, tampered), `byte ${position}`).toThrow(DecryptionError);
    }
  });

  it('detects a flipped nonce byte, a truncated body and an extended body', () => {
    // Prepare
    const sealed = seal(dek, 1, ref, PLAINTEXT);
    const [prefix, version, nonce = '', body = ''] = sealed.split('.');
    const flippedNonce = flipByte(Buffer.from(nonce, 'base64url'), 5).toString('base64url');

    // Act
    const nonceFlipped = () => open(dek, ref, [prefix, version, flippedNonce, body].join('.'));
    const truncated = () =>
      open(
        dek,
        ref,
        withBody(sealed, (b) => b.subarray(0, b.length - 1)),
      );
    const extended = () =>
      open(
        dek,
        ref,
        withBody(sealed, (b) => Buffer.concat([b, Buffer.from([0])])),
      );

    // Assess
    expect(nonceFlipped).toThrow(DecryptionError);
    expect(truncated).toThrow(DecryptionError);
    expect(extended).toThrow(DecryptionError);
  });

  it('detects a changed DEK version in the header (the version is part of the AAD)', () => {
    // Prepare
    const sealed = seal(dek, 1, ref, PLAINTEXT);

    // Act
    const relabelled = sealed.replace(/^v1\.1\./, 'v1.2.');

    // Assess
    expect(relabelled.startsWith('v1.2.')).toBe(true);
    expect(() => open(dek, ref, relabelled)).toThrow(DecryptionError);
  });

  it.each([
    ['empty', ''],
    ['plain text', 'not-a-ciphertext'],
    ['three parts', 'v1.1.AAAAAAAAAAAAAAAA'],
    ['five parts', 'v1.1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.x'],
    ['unknown format', 'v2.1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA'],
    ['version 0', 'v1.0.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA'],
    ['non-numeric version', 'v1.x.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA'],
    ['negative version', 'v1.-1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA'],
    ['short nonce', 'v1.1.AAAA.AAAAAAAAAAAAAAAAAAAAAA'],
    ['body shorter than a tag', 'v1.1.AAAAAAAAAAAAAAAA.AAAA'],
  ])('rejects a malformed value (%s) with DecryptionError', (_label, sealed) => {
    // Act
    const opening = () => open(dek, ref, sealed);

    // Assess
    expect(opening).toThrow(DecryptionError);
  });

  it('sealedVersion reads the DEK version without opening', () => {
    // Act
    const one = sealedVersion(seal(dek, 1, ref, PLAINTEXT));
    const seven = sealedVersion(seal(dek, 7, ref, PLAINTEXT));
    const malformed = () => sealedVersion('v1..a.b');

    // Assess
    expect(one).toBe(1);
    expect(seven).toBe(7);
    expect(malformed).toThrow(DecryptionError);
  });

  it('opens a value sealed under DEK version 7 only with its version in the header', () => {
    // Act
    const sealed = seal(dek, 7, ref, PLAINTEXT);
    const opened = open(dek, ref, sealed);

    // Assess
    expect(sealed.startsWith('v1.7.')).toBe(true);
    expect(opened).toBe(PLAINTEXT);
  });

  it('DecryptionError says nothing about the plaintext or the key', () => {
    // Prepare
    const sealed = seal(dek, 1, ref, PLAINTEXT);

    // Act
    let caught: unknown;
    try {
      open(dek, { ...ref, tenantId: 'ten_b' }, sealed);
    } catch (err) {
      caught = err;
    }

    // Assess
    expect(caught).toBeInstanceOf(DecryptionError);
    expect((caught as Error).name).toBe('DecryptionError');
    expect((caught as Error).message).toBe('Ciphertext could not be opened');
  });
});
