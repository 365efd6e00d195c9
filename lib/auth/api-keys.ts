import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { auditCompanion } from '../audit/service.js';
import type { AuditContext } from '../audit/types.js';
import { config } from '../config.js';
import { ConflictError, ForbiddenError, UnauthorizedError } from '../errors.js';
import { randomBase32, randomToken } from '../ids.js';
import { logger } from '../observability.js';
import type { ApiKeyRecord } from '../store/api-keys.js';
import * as store from '../store/api-keys.js';

import type { Scope } from './scopes.js';

export type { Scope };

export interface AuthContext {
  tenantId: string;
  keyId: string;
  scopes: Scope[];
  /** The key's name, for audit events' actor. */
  name?: string;
}

const BCRYPT_COST = 10;
const KEY_PATTERN = /^vk_live_([0-9a-z]{16})_([A-Za-z0-9_-]{43})$/;
const TOUCH_EVERY_MS = 60_000;
const MAX_CACHED_KEYS = 10_000;

/** Counters read by the benchmark. */
export const authStats = { bcryptCompares: 0, lookups: 0 };

interface CacheEntry {
  ctx: AuthContext;
  expiresAt: number;
}
// Keyed by a SHA-256 of the whole presented key: a cache hit proves the caller holds the secret.
const verified = new Map<string, CacheEntry>();
const lastTouched = new Map<string, number>();

export interface NewApiKey {
  record: ApiKeyRecord;
  /** The full key, shown once. */
  apiKey: string;
}

export async function makeApiKey(
  tenantId: string,
  name: string,
  scopes: Scope[],
  now: string,
): Promise<NewApiKey> {
  const id = randomBase32(10); // 16 chars
  const secret = randomToken(32); // 43 chars
  const record: ApiKeyRecord = {
    id,
    tenant_id: tenantId,
    name,
    scopes: [...new Set(scopes)],
    prefix: `vk_live_${id}`,
    secret_hash: await bcrypt.hash(secret, BCRYPT_COST),
    created_at: now,
    last_used_at: null,
    revoked_at: null,
  };
  return { record, apiKey: `vk_live_${id}_${secret}` };
}

export async function createApiKey(
  tenantId: string,
  name: string,
  scopes: Scope[],
  ctx: AuditContext,
): Promise<NewApiKey> {
  const made = await makeApiKey(tenantId, name, scopes, new Date().toISOString());
  await store.putApiKey(made.record, [
    auditCompanion(tenantId, ctx, 'api_key.create', { type: 'api_key', id: made.record.id }),
  ]);
  return made;
}

export async function revokeApiKey(auth: AuthContext, keyId: string, ctx: AuditContext): Promise<void> {
  // Revoking the key in use would lock a tenant with one admin key out of its own account.
  if (keyId === auth.keyId)
    throw new ConflictError('An API key cannot revoke itself; use another admin key.');
  await store.revokeApiKey(auth.tenantId, keyId, new Date().toISOString(), [
    auditCompanion(auth.tenantId, ctx, 'api_key.revoke', { type: 'api_key', id: keyId }),
  ]);
  for (const [hash, entry] of verified) if (entry.ctx.keyId === keyId) verified.delete(hash);
}

/** A page of the tenant's active keys, oldest first. */
export const listApiKeys = (tenantId: string, limit: number, cursor?: string) =>
  store.listApiKeys(tenantId, limit, cursor);

/**
 * Resolves an `Authorization: Bearer vk_live_...` header to its tenant and scopes, or throws 401.
 * `whileVerifying` is called with the key's tenant just before a bcrypt compare (a key not yet
 * verified in this process), so that the caller can start its own reads meanwhile; it must hand
 * out nothing unless this returns.
 */
export async function authenticate(
  authorization: string | undefined,
  whileVerifying?: (tenantId: string) => void,
): Promise<AuthContext> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1])
    throw new UnauthorizedError(authorization ? 'malformed authorization header' : 'no credentials');
  const presented = match[1];
  const digest = createHash('sha256').update(presented).digest('base64url');

  const hit = verified.get(digest);
  if (hit && hit.expiresAt > Date.now()) {
    await touch(hit.ctx.keyId);
    return hit.ctx;
  }
  verified.delete(digest);

  const parts = KEY_PATTERN.exec(presented);
  if (!parts?.[1] || !parts[2]) throw new UnauthorizedError('malformed key');
  authStats.lookups++;
  const record = await store.getApiKey(parts[1]);
  // Key ids are random: an unknown one reveals nothing worth a timing guard, and answering it
  // without a bcrypt compare means a flood of made-up keys burns no CPU.
  if (!record) throw new UnauthorizedError('unknown key');
  authStats.bcryptCompares++;
  whileVerifying?.(record.tenant_id);
  if (!(await bcrypt.compare(parts[2], record.secret_hash))) throw new UnauthorizedError('wrong secret');
  if (record.revoked_at) throw new UnauthorizedError('revoked key');

  const ctx: AuthContext = {
    tenantId: record.tenant_id,
    keyId: record.id,
    scopes: record.scopes as Scope[],
    name: record.name,
  };
  if (config.AUTH_CACHE_TTL_SECONDS > 0) {
    if (verified.size >= MAX_CACHED_KEYS) verified.delete(verified.keys().next().value as string);
    verified.set(digest, { ctx, expiresAt: Date.now() + config.AUTH_CACHE_TTL_SECONDS * 1000 });
  }
  // Seed the throttle from the record, so a cold start doesn't rewrite a fresh timestamp.
  if (!lastTouched.has(record.id) && record.last_used_at) {
    lastTouched.set(record.id, Date.parse(record.last_used_at));
  }
  await touch(record.id);
  return ctx;
}

/** The key holds `scope`, or admin (which holds every scope). */
export function hasScope(ctx: AuthContext, scope: Scope): boolean {
  return ctx.scopes.includes('admin') || ctx.scopes.includes(scope);
}

export function requireScope(ctx: AuthContext, scope: Scope): void {
  if (!hasScope(ctx, scope)) throw new ForbiddenError(`This API key lacks the '${scope}' scope.`);
}

/** Writes last_used_at at most once a minute per key per process. Failure to record is not the caller's problem. */
async function touch(keyId: string): Promise<void> {
  const now = Date.now();
  if (now - (lastTouched.get(keyId) ?? 0) < TOUCH_EVERY_MS) return;
  lastTouched.set(keyId, now);
  try {
    await store.touchApiKey(keyId, new Date(now).toISOString());
  } catch (err) {
    logger.warn('Could not record API key use', { key_id: keyId, error: (err as Error).name });
  }
}

/** Forgets every verified key (tests). */
export function clearAuthCache(): void {
  verified.clear();
  lastTouched.clear();
}
