import { randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DataKeys,
  dekContext,
  type KeyRing,
  type KeyRingCommit,
  type KeyRingLoader,
  MAX_DEK_VERSIONS,
} from '../../../lib/crypto/data-keys.js';
import { DecryptionError, type SealRef, sealedVersion } from '../../../lib/crypto/envelope.js';
import { KmsKeyProvider } from '../../../lib/crypto/key-provider.js';
import { ConflictError } from '../../../lib/errors.js';

const KEY_ID = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const kms = mockClient(KMSClient);

/** What KMS would hold: wrapped blob (as hex) -> plaintext data key. */
let vault: Map<string, Buffer>;

function wrappedKey(label: string): { wrapped: Buffer; plaintext: Buffer } {
  const wrapped = Buffer.from(`kms-blob:${label}:${randomBytes(4).toString('hex')}`);
  const plaintext = randomBytes(32);
  vault.set(wrapped.toString('hex'), plaintext);
  return { wrapped, plaintext };
}

function kmsDecrypt(input: { CiphertextBlob: Uint8Array }) {
  const plaintext = vault.get(Buffer.from(input.CiphertextBlob).toString('hex'));
  if (!plaintext) throw Object.assign(new Error('bad blob'), { name: 'InvalidCiphertextException' });
  return { KeyId: KEY_ID, Plaintext: new Uint8Array(plaintext) };
}

const ring = (wrapped: Record<number, Buffer>, current = 1): KeyRing => ({ current, wrapped });
const ref = (tenantId: string, field = 'access_token'): SealRef => ({
  tenantId,
  record: 'token#tok_1',
  field,
});

beforeEach(() => {
  vault = new Map();
  kms.on(GenerateDataKeyCommand).callsFake(() => {
    const { wrapped, plaintext } = wrappedKey('generated');
    return { KeyId: KEY_ID, Plaintext: new Uint8Array(plaintext), CiphertextBlob: new Uint8Array(wrapped) };
  });
  kms.on(DecryptCommand).callsFake(kmsDecrypt);
});

afterEach(() => {
  kms.reset();
  vi.useRealTimers();
});

describe('KmsKeyProvider', () => {
  it('generateDataKey asks KMS for an AES_256 key under the configured key id and context', async () => {
    // Prepare
    const provider = new KmsKeyProvider(KEY_ID);

    // Act
    const key = await provider.generateDataKey(dekContext('ten_a', 1));

    // Assess
    const calls = kms.commandCalls(GenerateDataKeyCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      KeyId: KEY_ID,
      KeySpec: 'AES_256',
      EncryptionContext: { purpose: 'token-vault/dek', tenant_id: 'ten_a', dek_version: '1' },
    });
    expect(Buffer.isBuffer(key.plaintext)).toBe(true);
    expect(key.plaintext).toHaveLength(32);
    expect(vault.get(key.wrapped.toString('hex'))).toEqual(key.plaintext);
  });

  it('decryptDataKey pins the key id and sends the context', async () => {
    // Prepare
    const provider = new KmsKeyProvider(KEY_ID);
    const { wrapped, plaintext } = wrappedKey('t');
    const context = dekContext('ten_a', 3);

    // Act
    const out = await provider.decryptDataKey(wrapped, context);

    // Assess
    expect(out).toEqual(plaintext);
    const calls = kms.commandCalls(DecryptCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.KeyId).toBe(KEY_ID);
    expect(input?.EncryptionContext).toEqual({
      purpose: 'token-vault/dek',
      tenant_id: 'ten_a',
      dek_version: '3',
    });
    expect(Buffer.from(input?.CiphertextBlob ?? [])).toEqual(wrapped);
  });

  it('refuses a KMS answer without key material', async () => {
    // Prepare
    kms.on(GenerateDataKeyCommand).resolves({ KeyId: KEY_ID });
    kms.on(DecryptCommand).resolves({ KeyId: KEY_ID });
    const provider = new KmsKeyProvider(KEY_ID);

    // Act
    const generating = provider.generateDataKey(dekContext('ten_a', 1));
    const decrypting = provider.decryptDataKey(Buffer.from('x'), dekContext('ten_a', 1));

    // Assess
    await expect(generating).rejects.toThrow(/GenerateDataKey/);
    await expect(decrypting).rejects.toThrow(/Decrypt/);
  });
});

describe('DataKeys with KMS', () => {
  const provider = new KmsKeyProvider(KEY_ID);

  it('createRing makes version 1 with GenerateDataKey bound to the tenant', async () => {
    // Prepare
    const loader = vi.fn<KeyRingLoader>();
    const keys = new DataKeys(provider, loader);

    // Act
    const created = await keys.createRing('ten_a');

    // Assess
    const calls = kms.commandCalls(GenerateDataKeyCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input.KeySpec).toBe('AES_256');
    expect(calls[0]?.args[0].input.KeyId).toBe(KEY_ID);
    expect(calls[0]?.args[0].input.EncryptionContext).toEqual({
      purpose: 'token-vault/dek',
      tenant_id: 'ten_a',
      dek_version: '1',
    });
    expect(created.current).toBe(1);
    expect(Object.keys(created.wrapped)).toEqual(['1']);
    expect(vault.has(created.wrapped[1]?.toString('hex') ?? '')).toBe(true);
  });

  it('the new ring is cached: encrypting right after createRing needs neither the loader nor KMS Decrypt', async () => {
    // Prepare
    const loader = vi.fn<KeyRingLoader>();
    const keys = new DataKeys(provider, loader);
    await keys.createRing('ten_a');

    // Act
    const sealed = await keys.encrypt(ref('ten_a'), 'secret');

    // Assess
    expect(await keys.decrypt(ref('ten_a'), sealed)).toBe('secret');
    expect(loader).not.toHaveBeenCalled();
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(0);
  });

  it('a stored ring is unwrapped with Decrypt under the same key id and context', async () => {
    // Prepare: one process creates the ring and seals; a fresh process (cold cache) opens.
    const writer = new DataKeys(provider, vi.fn<KeyRingLoader>());
    const stored = await writer.createRing('ten_a');
    const sealed = await writer.encrypt(ref('ten_a'), 'secret');
    const reader = new DataKeys(provider, async () => stored);

    // Act
    const opened = await reader.decrypt(ref('ten_a'), sealed);

    // Assess
    expect(opened).toBe('secret');
    const calls = kms.commandCalls(DecryptCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.KeyId).toBe(KEY_ID);
    expect(input?.EncryptionContext).toEqual({
      purpose: 'token-vault/dek',
      tenant_id: 'ten_a',
      dek_version: '1',
    });
    expect(Buffer.from(input?.CiphertextBlob ?? [])).toEqual(stored.wrapped[1]);
  });

  it('1,000 encrypt/decrypt operations for one tenant make exactly one KMS call', async () => {
    // Prepare
    const { wrapped } = wrappedKey('ten_a');
    const loader = vi.fn<KeyRingLoader>(async () => ring({ 1: wrapped }));
    const keys = new DataKeys(provider, loader);

    // Act
    for (let i = 0; i < 500; i++) {
      const sealed = await keys.encrypt(ref('ten_a'), `secret-${i}`);
      expect(await keys.decrypt(ref('ten_a'), sealed)).toBe(`secret-${i}`);
    }

    // Assess
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(1);
    expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(0);
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('concurrent operations on a cold cache share one ring load and one KMS call', async () => {
    // Prepare: e.g. reading a token decrypts access and refresh token with Promise.all.
    const { wrapped } = wrappedKey('ten_a');
    const loader = vi.fn<KeyRingLoader>(async () => ring({ 1: wrapped }));
    const keys = new DataKeys(provider, loader);

    // Act
    const sealed = await Promise.all(
      Array.from({ length: 20 }, (_, i) => keys.encrypt(ref('ten_a'), `secret-${i}`)),
    );

    // Assess
    expect(sealed).toHaveLength(20);
    expect(loader).toHaveBeenCalledTimes(1);
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(1);
  });

  it('a failed KMS unwrap is not cached: the next operation tries again', async () => {
    // Prepare
    const { wrapped } = wrappedKey('ten_a');
    const keys = new DataKeys(provider, async () => ring({ 1: wrapped }));
    kms
      .on(DecryptCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .callsFake(kmsDecrypt);

    // Act
    const first = await keys.encrypt(ref('ten_a'), 'x').catch((e: Error) => e);
    const second = await keys.encrypt(ref('ten_a'), 'x');

    // Assess
    expect((first as Error).name).toBe('ThrottlingException');
    expect(second.startsWith('v1.1.')).toBe(true);
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(2);
  });

  it('a failed ring load is not cached: the next operation loads again', async () => {
    // Prepare
    const { wrapped } = wrappedKey('ten_a');
    const loader = vi
      .fn<KeyRingLoader>()
      .mockRejectedValueOnce(new Error('DynamoDB unavailable'))
      .mockResolvedValue(ring({ 1: wrapped }));
    const keys = new DataKeys(provider, loader);

    // Act
    const first = await keys.encrypt(ref('ten_a'), 'x').catch((e: Error) => e);
    const second = await keys.encrypt(ref('ten_a'), 'x');

    // Assess
    expect((first as Error).message).toBe('DynamoDB unavailable');
    expect(second.startsWith('v1.1.')).toBe(true);
    expect(loader).toHaveBeenCalledTimes(2);
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(1);
  });

  it('a second tenant makes a second KMS call, with its own context', async () => {
    // Prepare
    const rings: Record<string, KeyRing> = {
      ten_a: ring({ 1: wrappedKey('ten_a').wrapped }),
      ten_b: ring({ 1: wrappedKey('ten_b').wrapped }),
    };
    const keys = new DataKeys(provider, async (tenantId) => rings[tenantId] as KeyRing);

    // Act
    for (let i = 0; i < 10; i++) {
      await keys.encrypt(ref('ten_a'), 'a');
      await keys.encrypt(ref('ten_b'), 'b');
    }

    // Assess
    const calls = kms.commandCalls(DecryptCommand);
    expect(calls).toHaveLength(2);
    expect(calls.map((c) => c.args[0].input.EncryptionContext?.tenant_id)).toEqual(['ten_a', 'ten_b']);
  });

  it("one tenant's ciphertext does not open for another tenant, even with the same ring", async () => {
    // Prepare
    const shared = ring({ 1: wrappedKey('shared').wrapped });
    const keys = new DataKeys(provider, async () => shared);
    const sealed = await keys.encrypt(ref('ten_a'), 'secret');

    // Act
    const opening = keys.decrypt(ref('ten_b'), sealed);

    // Assess
    await expect(opening).rejects.toThrow(DecryptionError);
  });

  it('unwraps again once the cache age has passed', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = new Date('2030-01-01T00:00:00Z').getTime();
    vi.setSystemTime(t0);
    const { wrapped } = wrappedKey('ten_a');
    const loader = vi.fn<KeyRingLoader>(async () => ring({ 1: wrapped }));
    const keys = new DataKeys(provider, loader, { maxAgeMs: 1_000, maxTenants: 10 });
    await keys.encrypt(ref('ten_a'), 'x');

    // Act
    vi.setSystemTime(t0 + 999);
    await keys.encrypt(ref('ten_a'), 'x');
    const callsWithinAge = kms.commandCalls(DecryptCommand).length;
    vi.setSystemTime(t0 + 1_001);
    await keys.encrypt(ref('ten_a'), 'x');
    await keys.encrypt(ref('ten_a'), 'x');

    // Assess
    expect(callsWithinAge).toBe(1);
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(2);
    expect(loader).toHaveBeenCalledTimes(2);
  });

  it('keeps at most maxTenants tenants, evicting the least recently used', async () => {
    // Prepare
    const rings: Record<string, KeyRing> = {};
    for (const t of ['ten_a', 'ten_b', 'ten_c']) rings[t] = ring({ 1: wrappedKey(t).wrapped });
    const keys = new DataKeys(provider, async (tenantId) => rings[tenantId] as KeyRing, {
      maxAgeMs: 60_000,
      maxTenants: 2,
    });
    const unwrappedFor = () =>
      kms.commandCalls(DecryptCommand).map((c) => c.args[0].input.EncryptionContext?.tenant_id);

    // Act
    await keys.encrypt(ref('ten_a'), 'x'); // cache: a
    await keys.encrypt(ref('ten_b'), 'x'); // cache: a, b
    await keys.encrypt(ref('ten_a'), 'x'); // a used: b is now least recent
    await keys.encrypt(ref('ten_c'), 'x'); // evicts b: a, c
    const afterC = unwrappedFor();
    await keys.encrypt(ref('ten_a'), 'x'); // still cached
    await keys.encrypt(ref('ten_c'), 'x'); // still cached
    const afterHits = unwrappedFor();
    await keys.encrypt(ref('ten_b'), 'x'); // evicted: unwrapped again (evicts a)

    // Assess
    expect(afterC).toEqual(['ten_a', 'ten_b', 'ten_c']);
    expect(afterHits).toEqual(['ten_a', 'ten_b', 'ten_c']);
    expect(unwrappedFor()).toEqual(['ten_a', 'ten_b', 'ten_c', 'ten_b']);
  });

  it('a ciphertext under a DEK version the cached ring lacks reloads the ring once', async () => {
    // Prepare: the reader has ring v1 cached; another process rotates to v2 and seals with it.
    const v1 = wrappedKey('v1').wrapped;
    const v2 = wrappedKey('v2').wrapped;
    const rotated = ring({ 1: v1, 2: v2 }, 2);
    const writer = new DataKeys(provider, async () => rotated);
    const sealedV2 = await writer.encrypt(ref('ten_a'), 'rotated-secret');
    kms.resetHistory();

    let stored = ring({ 1: v1 });
    const loader = vi.fn<KeyRingLoader>(async () => stored);
    const reader = new DataKeys(provider, loader);
    const sealedV1 = await reader.encrypt(ref('ten_a'), 'old-secret');
    stored = rotated;

    // Act
    const opened = await reader.decrypt(ref('ten_a'), sealedV2);
    const openedAgain = await reader.decrypt(ref('ten_a'), sealedV2);
    const openedOld = await reader.decrypt(ref('ten_a'), sealedV1);

    // Assess
    expect(sealedVersion(sealedV1)).toBe(1);
    expect(sealedVersion(sealedV2)).toBe(2);
    expect(opened).toBe('rotated-secret');
    expect(openedAgain).toBe('rotated-secret');
    expect(openedOld).toBe('old-secret');
    expect(loader).toHaveBeenCalledTimes(2);
    expect(kms.commandCalls(DecryptCommand).map((c) => c.args[0].input.EncryptionContext)).toEqual([
      dekContext('ten_a', 1),
      dekContext('ten_a', 2),
      dekContext('ten_a', 1),
    ]);
  });

  it('after a rotation, new ciphertexts use the current version', async () => {
    // Prepare
    const rotated = ring({ 1: wrappedKey('v1').wrapped, 2: wrappedKey('v2').wrapped }, 2);
    const keys = new DataKeys(provider, async () => rotated);

    // Act
    const sealed = await keys.encrypt(ref('ten_a'), 'x');

    // Assess
    expect(sealed.startsWith('v1.2.')).toBe(true);
    expect(kms.commandCalls(DecryptCommand)[0]?.args[0].input.EncryptionContext).toEqual(
      dekContext('ten_a', 2),
    );
  });

  it('a version missing even after the reload fails, after exactly one reload', async () => {
    // Prepare
    const loader = vi.fn<KeyRingLoader>(async () => ring({ 1: wrappedKey('v1').wrapped }));
    const keys = new DataKeys(provider, loader);
    const sealed = (await keys.encrypt(ref('ten_a'), 'x')).replace(/^v1\.1\./, 'v1.9.');

    // Act
    const opening = keys.decrypt(ref('ten_a'), sealed);

    // Assess
    await expect(opening).rejects.toThrow();
    expect(loader).toHaveBeenCalledTimes(2);
  });

  it('clear() drops cached keys', async () => {
    // Prepare
    const { wrapped } = wrappedKey('ten_a');
    const keys = new DataKeys(provider, async () => ring({ 1: wrapped }));
    await keys.encrypt(ref('ten_a'), 'x');

    // Act
    keys.clear();
    await keys.encrypt(ref('ten_a'), 'x');

    // Assess
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(2);
  });
});

/** The tenant item, as the store keeps it: loads copy it, commits are conditional on `from`. */
function fakeStore(initial: KeyRing) {
  let stored = initial;
  const load = vi.fn<KeyRingLoader>(async () => ({
    current: stored.current,
    wrapped: { ...stored.wrapped },
  }));
  const commit = vi.fn<KeyRingCommit>(async ({ from, to, wrapped }) => {
    if (stored.current !== from) throw new ConflictError('The data key was rotated concurrently.');
    stored = { current: to, wrapped: { ...stored.wrapped, [to]: wrapped } };
  });
  return { load, commit, stored: () => stored };
}

describe('DataKeys.rotate', () => {
  const provider = new KmsKeyProvider(KEY_ID);

  it('makes version 2 with GenerateDataKey (dek_version "2") and commits it conditionally on version 1', async () => {
    // Prepare
    const store = fakeStore(ring({ 1: wrappedKey('v1').wrapped }));
    const keys = new DataKeys(provider, store.load);

    // Act
    const version = await keys.rotate('ten_a', store.commit);

    // Assess
    expect(version).toBe(2);
    const calls = kms.commandCalls(GenerateDataKeyCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      KeyId: KEY_ID,
      KeySpec: 'AES_256',
      EncryptionContext: { purpose: 'token-vault/dek', tenant_id: 'ten_a', dek_version: '2' },
    });
    expect(store.commit).toHaveBeenCalledTimes(1);
    const committed = store.commit.mock.calls[0]?.[0];
    expect(committed).toMatchObject({ from: 1, to: 2 });
    expect(vault.has(committed?.wrapped.toString('hex') ?? '')).toBe(true);
    expect(store.stored().current).toBe(2);
    expect(Object.keys(store.stored().wrapped)).toEqual(['1', '2']);
  });

  it('after rotating, this process seals with version 2 at once while a version-1 ciphertext still opens', async () => {
    // Prepare
    const store = fakeStore(ring({ 1: wrappedKey('v1').wrapped }));
    const keys = new DataKeys(provider, store.load);
    const old = await keys.encrypt(ref('ten_a'), 'old-secret');

    // Act
    await keys.rotate('ten_a', store.commit);
    const fresh = await keys.encrypt(ref('ten_a'), 'new-secret');

    // Assess
    expect(old.startsWith('v1.1.')).toBe(true);
    expect(fresh.startsWith('v1.2.')).toBe(true);
    expect(await keys.decrypt(ref('ten_a'), old)).toBe('old-secret');
    expect(await keys.decrypt(ref('ten_a'), fresh)).toBe('new-secret');
    // One load before, one fresh read for the rotation; the new key came with its plaintext and
    // was never unwrapped.
    expect(store.load).toHaveBeenCalledTimes(2);
    const unwrapped = kms.commandCalls(DecryptCommand).map((c) => c.args[0].input.EncryptionContext);
    expect(unwrapped).not.toContainEqual(dekContext('ten_a', 2));
  });

  it('a process with a stale ring opens the other process version-2 ciphertext after one reload', async () => {
    // Prepare: both processes warm on version 1; the rotator rotates and seals.
    const store = fakeStore(ring({ 1: wrappedKey('v1').wrapped }));
    const rotator = new DataKeys(provider, store.load);
    const staleLoad = vi.fn<KeyRingLoader>((tenantId) => store.load(tenantId));
    const stale = new DataKeys(provider, staleLoad);
    const oldSealed = await stale.encrypt(ref('ten_a'), 'old-secret');
    await rotator.rotate('ten_a', store.commit);
    const sealedV2 = await rotator.encrypt(ref('ten_a'), 'rotated-secret');

    // Act
    const beforeExpiry = await stale.encrypt(ref('ten_a'), 'x');
    const opened = await stale.decrypt(ref('ten_a'), sealedV2);
    const openedOld = await stale.decrypt(ref('ten_a'), oldSealed);
    const afterReload = await stale.encrypt(ref('ten_a'), 'y');

    // Assess
    expect(sealedV2.startsWith('v1.2.')).toBe(true);
    // Until it reloads, the stale process still seals with version 1 (which stays valid).
    expect(beforeExpiry.startsWith('v1.1.')).toBe(true);
    expect(opened).toBe('rotated-secret');
    expect(openedOld).toBe('old-secret');
    expect(afterReload.startsWith('v1.2.')).toBe(true);
    expect(staleLoad).toHaveBeenCalledTimes(2);
  });

  it('two concurrent rotations from two processes: one makes version 2, the other gets a ConflictError', async () => {
    // Prepare
    const store = fakeStore(ring({ 1: wrappedKey('v1').wrapped }));
    const a = new DataKeys(provider, store.load);
    const b = new DataKeys(provider, store.load);

    // Act
    const results = await Promise.allSettled([
      a.rotate('ten_a', store.commit),
      b.rotate('ten_a', store.commit),
    ]);

    // Assess
    expect(results[0]).toEqual({ status: 'fulfilled', value: 2 });
    expect(results[1]?.status).toBe('rejected');
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    expect(store.stored().current).toBe(2);
    // The loser caches nothing of its own key: it still seals with the stored ring's versions.
    expect((await b.encrypt(ref('ten_a'), 'x')).startsWith('v1.1.')).toBe(true);
  });

  it('a failed commit caches nothing: the process keeps sealing with the current version', async () => {
    // Prepare
    const store = fakeStore(ring({ 1: wrappedKey('v1').wrapped }));
    const keys = new DataKeys(provider, store.load);
    const failing = vi.fn<KeyRingCommit>().mockRejectedValue(new Error('DynamoDB unavailable'));

    // Act
    const err = await keys.rotate('ten_a', failing).catch((e: Error) => e);
    const sealed = await keys.encrypt(ref('ten_a'), 'x');

    // Assess
    expect((err as Error).message).toBe('DynamoDB unavailable');
    expect(sealed.startsWith('v1.1.')).toBe(true);
    expect(store.stored().current).toBe(1);
  });

  it(`refuses beyond ${MAX_DEK_VERSIONS} versions with a ConflictError, before asking KMS`, async () => {
    // Prepare
    const wrapped = Object.fromEntries(
      Array.from({ length: MAX_DEK_VERSIONS }, (_, i) => [i + 1, wrappedKey(`v${i + 1}`).wrapped]),
    );
    const store = fakeStore(ring(wrapped, MAX_DEK_VERSIONS));
    const keys = new DataKeys(provider, store.load);

    // Act
    const err = await keys.rotate('ten_a', store.commit).catch((e: Error) => e);

    // Assess
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toMatch(/100 versions/);
    expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(0);
    expect(store.commit).not.toHaveBeenCalled();
  });

  it('a ring load in flight during a rotation does not bring back the older version', async () => {
    // Prepare: warm on version 1; the rotation's commit is held.
    const store = fakeStore(ring({ 1: wrappedKey('v1').wrapped }));
    let releaseCommit: () => void = () => {};
    const commitGate = new Promise<void>((resolve) => {
      releaseCommit = resolve;
    });
    let releaseLoad: () => void = () => {};
    const loadGate = new Promise<void>((resolve) => {
      releaseLoad = resolve;
    });
    const commit = vi.fn<KeyRingCommit>(async (next) => {
      await commitGate;
      await store.commit(next);
    });
    const load = vi.fn<KeyRingLoader>((tenantId) => store.load(tenantId));
    const keys = new DataKeys(provider, load);
    const sealed = await keys.encrypt(ref('ten_a'), 'x');
    const rotating = keys.rotate('ten_a', commit);
    await vi.waitFor(() => expect(commit).toHaveBeenCalled());

    // Act: meanwhile a reload (forced by an unknown version) reads version 1 but answers after the commit.
    load.mockImplementationOnce(async (tenantId) => {
      const before = await store.load(tenantId);
      await loadGate;
      return before;
    });
    const unknown = keys.decrypt(ref('ten_a'), sealed.replace(/^v1\.1\./, 'v1.9.')).catch((e: Error) => e);
    releaseCommit();
    await rotating;
    releaseLoad();
    await unknown;
    const after = await keys.encrypt(ref('ten_a'), 'y');

    // Assess
    expect(load).toHaveBeenCalledTimes(3);
    expect(after.startsWith('v1.2.')).toBe(true);
  });
});

describe('DataKeys: re-encryption and retirement', () => {
  const provider = () => new KmsKeyProvider(KEY_ID);

  it('reseal opens an old version and seals with the current one; null when already current', async () => {
    // Prepare: a value under version 1, then version 2 made current
    const v1 = wrappedKey('v1');
    const v2 = wrappedKey('v2');
    let stored = ring({ 1: v1.wrapped });
    const keys = new DataKeys(provider(), async () => stored);
    const old = await keys.encrypt(ref('ten_a'), 'secret');
    stored = ring({ 1: v1.wrapped, 2: v2.wrapped }, 2);
    expect(await keys.currentVersion('ten_a', true)).toBe(2);

    // Act
    const moved = await keys.reseal(ref('ten_a'), old);

    // Assess
    if (!moved) throw new Error('not resealed');
    expect(sealedVersion(moved)).toBe(2);
    expect(await keys.decrypt(ref('ten_a'), moved)).toBe('secret');
    expect(await keys.reseal(ref('ten_a'), moved)).toBeNull();
  });

  it('forget drops a retired version at once; a ring reloaded without it cannot open it', async () => {
    // Prepare: warm on both versions
    const v1 = wrappedKey('v1');
    const v2 = wrappedKey('v2');
    let stored = ring({ 1: v1.wrapped });
    const keys = new DataKeys(provider(), async () => stored);
    const old = await keys.encrypt(ref('ten_a'), 'secret');
    stored = ring({ 1: v1.wrapped, 2: v2.wrapped }, 2);
    await keys.currentVersion('ten_a', true);
    expect(await keys.decrypt(ref('ten_a'), old)).toBe('secret');

    // Act: version 1 retired (gone from the stored ring) and forgotten here
    stored = ring({ 2: v2.wrapped }, 2);
    keys.forget('ten_a', 1);

    // Assess: it does not open, even after the reload the unknown version triggers
    await expect(keys.decrypt(ref('ten_a'), old)).rejects.toThrow(DecryptionError);
    await expect(keys.decrypt(ref('ten_a'), old)).rejects.toThrow(/version 1 is retired/);
  });

  it('another process drops a retired version when its cached ring expires (the cache period)', async () => {
    // Prepare: a process warm on version 1 of a ring that has 2 current
    vi.useFakeTimers({ toFake: ['Date'] });
    const v1 = wrappedKey('v1');
    const v2 = wrappedKey('v2');
    let stored = ring({ 1: v1.wrapped, 2: v2.wrapped }, 2);
    const keys = new DataKeys(provider(), async () => stored, { maxAgeMs: 1000, maxTenants: 10 });
    const writer = new DataKeys(provider(), async () => ring({ 1: v1.wrapped }));
    const old = await writer.encrypt(ref('ten_a'), 'secret');
    expect(await keys.decrypt(ref('ten_a'), old)).toBe('secret');

    // Act: retired elsewhere
    stored = ring({ 2: v2.wrapped }, 2);

    // Assess: still open within the period (cached), refused after it
    expect(await keys.decrypt(ref('ten_a'), old)).toBe('secret');
    vi.setSystemTime(Date.now() + 1001);
    await expect(keys.decrypt(ref('ten_a'), old)).rejects.toThrow(/version 1 is retired/);
  });
});
