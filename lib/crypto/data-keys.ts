import { ConflictError } from '../errors.js';
import { DecryptionError, open, type SealRef, seal, sealedVersion } from './envelope.js';
import type { KeyProvider } from './key-provider.js';

/**
 * The most data-key versions a tenant may have. Every version stays on the tenant item (a wrapped
 * KMS key is ~200 bytes), which must stay well under DynamoDB's 400 KB item limit.
 */
export const MAX_DEK_VERSIONS = 100;

/** A tenant's wrapped data keys by version, as stored on the tenant record. */
export interface KeyRing {
  current: number;
  wrapped: Record<number, Buffer>;
}

export type KeyRingLoader = (tenantId: string) => Promise<KeyRing>;

/**
 * Stores a new data-key version and makes it current, on condition that `from` is still the
 * current version; throws (a ConflictError) if it is not.
 */
export type KeyRingCommit = (next: { from: number; to: number; wrapped: Buffer }) => Promise<void>;

interface CacheEntry {
  ring: KeyRing;
  /** Unwrapped keys by version; promises, so concurrent first uses share one unwrap. */
  plain: Map<number, Promise<Buffer>>;
  expiresAt: number;
}

export interface DataKeyCacheOptions {
  /** How long an unwrapped key stays in memory. */
  maxAgeMs: number;
  /** How many tenants' keys are kept; the least recently used go first. */
  maxTenants: number;
}

/** The KMS encryption context of a tenant's data key. The key policy conditions on `purpose`. */
export const dekContext = (tenantId: string, version: number) => ({
  purpose: 'token-vault/dek',
  tenant_id: tenantId,
  dek_version: String(version),
});

/**
 * Envelope encryption for tenants' secret fields. Unwrapped data keys are cached per tenant for
 * a bounded time and count, so a warm process makes one key-provider call per tenant and period.
 */
export class DataKeys {
  private readonly cache = new Map<string, CacheEntry>();
  /** Ring loads in flight, so concurrent cold requests for one tenant share one read. */
  private readonly loading = new Map<string, Promise<CacheEntry>>();

  constructor(
    private readonly provider: KeyProvider,
    private readonly loadRing: KeyRingLoader,
    private readonly options: DataKeyCacheOptions = { maxAgeMs: 5 * 60_000, maxTenants: 1000 },
  ) {}

  /** Makes version 1 of a new tenant's data key; the caller stores `wrapped` with the tenant. */
  async createRing(tenantId: string): Promise<KeyRing> {
    const { plaintext, wrapped } = await this.provider.generateDataKey(dekContext(tenantId, 1));
    const ring: KeyRing = { current: 1, wrapped: { 1: wrapped } };
    this.remember(tenantId, ring, new Map([[1, Promise.resolve(plaintext)]]));
    return ring;
  }

  /**
   * Makes version n+1 of a tenant's data key, has `commit` store it (conditionally on n still
   * being current, so of two concurrent rotations one fails) and returns n+1. This process then
   * seals with n+1 at once; other warm processes pick it up when their cached ring expires, and
   * every version keeps opening, since `decrypt` reloads the ring on a version it does not know.
   *
   * Existing ciphertexts are moved to n+1 by the re-encryption job (lib/keyring/reencrypt.ts),
   * which then retires n.
   */
  async rotate(tenantId: string, commit: KeyRingCommit): Promise<number> {
    // The stored ring, not the cached one: another process may have rotated meanwhile.
    const entry = await this.entry(tenantId, true);
    const from = entry.ring.current;
    if (from >= MAX_DEK_VERSIONS) {
      throw new ConflictError(`The data key has reached its limit of ${MAX_DEK_VERSIONS} versions.`);
    }
    const to = from + 1;
    const { plaintext, wrapped } = await this.provider.generateDataKey(dekContext(tenantId, to));
    // Nothing is cached unless the commit succeeds.
    await commit({ from, to, wrapped });
    // Keep the keys already unwrapped: the same map, so an unwrap that fails later still removes
    // its own entry.
    entry.plain.set(to, Promise.resolve(plaintext));
    this.remember(tenantId, { current: to, wrapped: { ...entry.ring.wrapped, [to]: wrapped } }, entry.plain);
    return to;
  }

  async encrypt(ref: SealRef, plaintext: string): Promise<string> {
    const entry = await this.entry(ref.tenantId);
    const dek = await this.plainKey(ref.tenantId, entry, entry.ring.current);
    return seal(dek, entry.ring.current, ref, plaintext);
  }

  async decrypt(ref: SealRef, sealed: string): Promise<string> {
    const version = sealedVersion(sealed);
    let entry = await this.entry(ref.tenantId);
    // A version newer than the cached ring means the key was rotated elsewhere: reload once.
    if (!(version in entry.ring.wrapped)) entry = await this.entry(ref.tenantId, true);
    return open(await this.plainKey(ref.tenantId, entry, version), ref, sealed);
  }

  /**
   * Reseals `sealed` with the tenant's current version as last loaded (call `currentVersion(id,
   * true)` first for the stored one); null if it is already sealed with that version.
   */
  async reseal(ref: SealRef, sealed: string): Promise<string | null> {
    const entry = await this.entry(ref.tenantId);
    if (sealedVersion(sealed) === entry.ring.current) return null;
    const plaintext = await this.decrypt(ref, sealed);
    const dek = await this.plainKey(ref.tenantId, entry, entry.ring.current);
    return seal(dek, entry.ring.current, ref, plaintext);
  }

  /**
   * Loads the tenant's ring and, if `version` is in it, unwraps that key, into the cache: a read
   * that will open a value sealed with `version` starts this early. Failures are left to the read.
   */
  async warm(tenantId: string, version?: number): Promise<void> {
    const entry = await this.entry(tenantId);
    if (version !== undefined && version in entry.ring.wrapped) await this.plainKey(tenantId, entry, version);
  }

  /** The tenant's current version: cached, or (`fresh`) as stored now. */
  async currentVersion(tenantId: string, fresh = false): Promise<number> {
    return (await this.entry(tenantId, fresh)).ring.current;
  }

  /**
   * Drops a retired version from this process's cache at once. Other processes drop it when their
   * cached ring expires (the cache period): the ring they reload no longer has it.
   */
  forget(tenantId: string, version: number): void {
    const entry = this.cache.get(tenantId);
    if (!entry) return;
    entry.plain.delete(version);
    const { [version]: _gone, ...wrapped } = entry.ring.wrapped;
    entry.ring = { current: entry.ring.current, wrapped };
  }

  /** Drops every cached key (tests). */
  clear(): void {
    this.cache.clear();
  }

  private async entry(tenantId: string, reload = false): Promise<CacheEntry> {
    const hit = this.cache.get(tenantId);
    if (hit && !reload && hit.expiresAt > Date.now()) {
      // Re-insert to keep Map order = recency order (LRU).
      this.cache.delete(tenantId);
      this.cache.set(tenantId, hit);
      return hit;
    }
    const inFlight = this.loading.get(tenantId);
    if (inFlight) return inFlight;
    const load = this.loadRing(tenantId)
      .then((ring) => {
        // A load that began before a rotation in this process must not bring back the older
        // ring: the newer one, still fresh, stays.
        const cached = this.cache.get(tenantId);
        if (cached && cached.expiresAt > Date.now() && cached.ring.current > ring.current) return cached;
        return this.remember(tenantId, ring, new Map());
      })
      .finally(() => this.loading.delete(tenantId));
    this.loading.set(tenantId, load);
    return load;
  }

  private remember(tenantId: string, ring: KeyRing, plain: Map<number, Promise<Buffer>>): CacheEntry {
    const entry = { ring, plain, expiresAt: Date.now() + this.options.maxAgeMs };
    this.cache.delete(tenantId);
    this.cache.set(tenantId, entry);
    while (this.cache.size > this.options.maxTenants) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      // Not zeroed: an operation in flight may still hold the buffer.
      this.cache.delete(oldest);
    }
    return entry;
  }

  private plainKey(tenantId: string, entry: CacheEntry, version: number): Promise<Buffer> {
    const cached = entry.plain.get(version);
    if (cached) return cached;
    const wrapped = entry.ring.wrapped[version];
    if (!wrapped) {
      return Promise.reject(
        new DecryptionError(`Data key version ${version} is retired (or never existed) for this tenant`),
      );
    }
    const unwrapping = this.provider.decryptDataKey(wrapped, dekContext(tenantId, version));
    entry.plain.set(version, unwrapping);
    // A failed unwrap (KMS throttled, say) is not cached.
    unwrapping.catch(() => entry.plain.delete(version));
    return unwrapping;
  }
}
