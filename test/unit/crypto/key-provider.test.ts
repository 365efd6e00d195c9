import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dekContext } from '../../../lib/crypto/data-keys.js';
import { canonicalContext, LocalKeyProvider } from '../../../lib/crypto/key-provider.js';

let dir: string;
let home: string;
const savedLambdaName = process.env.AWS_LAMBDA_FUNCTION_NAME;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vault-keys-'));
  home = join(dir, 'home'); // does not exist yet: the provider makes it
});

afterEach(() => {
  if (savedLambdaName === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
  else process.env.AWS_LAMBDA_FUNCTION_NAME = savedLambdaName;
  rmSync(dir, { recursive: true, force: true });
});

describe('LocalKeyProvider', () => {
  it('creates master.key on first run, readable by the owner only', () => {
    // Act
    const provider = new LocalKeyProvider(home);

    // Assess
    expect(provider.name).toBe('local');
    const file = join(home, 'master.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(home).mode & 0o077).toBe(0);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
  });

  it('makes 256-bit keys and unwraps them under the same context', async () => {
    // Prepare
    const provider = new LocalKeyProvider(home);
    const context = dekContext('ten_a', 1);

    // Act
    const { plaintext, wrapped } = await provider.generateDataKey(context);
    const unwrapped = await provider.decryptDataKey(wrapped, context);

    // Assess
    expect(plaintext).toHaveLength(32);
    expect(unwrapped).toEqual(plaintext);
    expect(wrapped.includes(plaintext)).toBe(false);
  });

  it('reuses the master key: a key wrapped by one instance unwraps with a second', async () => {
    // Prepare
    const first = new LocalKeyProvider(home);
    const keyFile = readFileSync(join(home, 'master.key'), 'utf8');
    const context = dekContext('ten_a', 1);
    const { plaintext, wrapped } = await first.generateDataKey(context);

    // Act
    const second = new LocalKeyProvider(home);
    const unwrapped = await second.decryptDataKey(wrapped, context);

    // Assess
    expect(unwrapped).toEqual(plaintext);
    expect(readFileSync(join(home, 'master.key'), 'utf8')).toBe(keyFile);
  });

  it('another home (another master key) cannot unwrap', async () => {
    // Prepare
    const context = dekContext('ten_a', 1);
    const { wrapped } = await new LocalKeyProvider(home).generateDataKey(context);
    const other = new LocalKeyProvider(join(dir, 'other-home'));

    // Act
    const unwrapping = other.decryptDataKey(wrapped, context);

    // Assess
    await expect(unwrapping).rejects.toThrow();
  });

  it.each([
    ['another tenant', dekContext('ten_b', 1)],
    ['another version', dekContext('ten_a', 2)],
    ['another purpose', { ...dekContext('ten_a', 1), purpose: 'something-else' }],
    ['an extra entry', { ...dekContext('ten_a', 1), extra: 'x' }],
  ])('refuses to unwrap under %s', async (_label, wrongContext) => {
    // Prepare
    const provider = new LocalKeyProvider(home);
    const { wrapped } = await provider.generateDataKey(dekContext('ten_a', 1));

    // Act
    const unwrapping = provider.decryptDataKey(wrapped, wrongContext);

    // Assess
    await expect(unwrapping).rejects.toThrow();
  });

  it('binds the context regardless of key order (canonical form)', async () => {
    // Prepare
    const provider = new LocalKeyProvider(home);
    const { plaintext, wrapped } = await provider.generateDataKey({ a: '1', b: '2' });

    // Act
    const unwrapped = await provider.decryptDataKey(wrapped, { b: '2', a: '1' });

    // Assess
    expect(unwrapped).toEqual(plaintext);
    expect(canonicalContext({ b: '2', a: '1' })).toEqual(canonicalContext({ a: '1', b: '2' }));
    expect(canonicalContext({ a: '1', b: '2' })).not.toEqual(canonicalContext({ a: '2', b: '1' }));
  });

  it('refuses a truncated, extended or tampered wrapped key', async () => {
    // Prepare
    const provider = new LocalKeyProvider(home);
    const context = dekContext('ten_a', 1);
    const { wrapped } = await provider.generateDataKey(context);
    const tampered = Buffer.from(wrapped);
    tampered[20] = (tampered[20] ?? 0) ^ 0x01;
    const wrongVersion = Buffer.from(wrapped);
    wrongVersion[0] = 0x02;

    // Act
    const truncated = provider.decryptDataKey(wrapped.subarray(0, wrapped.length - 1), context);
    const extended = provider.decryptDataKey(Buffer.concat([wrapped, Buffer.from([0])]), context);
    const relabelled = provider.decryptDataKey(wrongVersion, context);
    const flipped = provider.decryptDataKey(tampered, context);
    const intact = provider.decryptDataKey(wrapped, context);

    // Assess
    await expect(truncated).rejects.toThrow('Malformed wrapped data key');
    await expect(extended).rejects.toThrow('Malformed wrapped data key');
    await expect(relabelled).rejects.toThrow('Malformed wrapped data key');
    await expect(flipped).rejects.toThrow();
    expect(await intact).toHaveLength(32);
  });

  it('refuses a master.key that does not hold a 256-bit key', () => {
    // Prepare
    new LocalKeyProvider(home);
    writeFileSync(join(home, 'master.key'), `${Buffer.alloc(16).toString('base64')}\n`);

    // Act
    const starting = () => new LocalKeyProvider(home);

    // Assess
    expect(starting).toThrow(/does not hold a 256-bit key/);
  });

  it('refuses to run inside Lambda', () => {
    // Prepare
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'token-vault-api';

    // Act
    const starting = () => new LocalKeyProvider(home);

    // Assess
    expect(starting).toThrow(/must not run in Lambda/);
    expect(() => statSync(join(home, 'master.key'))).toThrow(/ENOENT/);
  });
});
