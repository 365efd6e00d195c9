import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { config } from '../config.js';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import { type AgentAllow, countAgentCall, getAgentKey } from '../store/agent-keys.js';

// Agent keys, `vk_agent_<id>_<secret>`: narrow, short-lived credentials for AI agents. They work
// on the proxy and the MCP endpoint only (every other route answers 403), within an allow-list.

export const AGENT_KEY_PREFIX = 'vk_agent_';
const KEY_PATTERN = /^vk_agent_([0-9a-z]{16})_([A-Za-z0-9_-]{43})$/;
const MAX_CACHED_KEYS = 10_000;
/**
 * Compared against when the key id is unknown, so that answer takes as long as a wrong secret. A
 * literal (bcrypt of 'not-a-real-secret', cost 10): hashing it at import cost every cold start
 * of every function ~100-400 ms.
 */
const DUMMY_HASH = '$2b$10$Voyel0R5kgN6bb.QCo6Zleq4y.zuAOjQOlIyVkwuY510DS1qNXuve';

export interface AgentContext {
  kind: 'agent';
  tenantId: string;
  keyId: string;
  allow: AgentAllow[];
  expiresAt: number;
}

/** Does this Authorization header carry an agent key? (Routes other than the proxy and MCP refuse it.) */
export function isAgentKeyHeader(authorization: string | undefined): boolean {
  return /^Bearer\s+vk_agent_/i.test(authorization ?? '');
}

// Keyed by a SHA-256 of the whole presented key: a hit proves the caller holds the secret. Revocation,
// expiry and max_calls are checked on every call by countCall's conditional write, not by this cache.
const verified = new Map<string, { ctx: AgentContext; until: number }>();

/** Resolves an `Authorization: Bearer vk_agent_...` header, or throws 401 (unknown, wrong, expired). */
export async function authenticateAgent(authorization: string | undefined): Promise<AgentContext> {
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (!presented)
    throw new UnauthorizedError(authorization ? 'malformed authorization header' : 'no credentials');
  const digest = createHash('sha256').update(presented).digest('base64url');
  const hit = verified.get(digest);
  if (hit && hit.until > Date.now()) return checkExpiry(hit.ctx);
  verified.delete(digest);

  const parts = KEY_PATTERN.exec(presented);
  if (!parts?.[1] || !parts[2]) throw new UnauthorizedError('malformed key');
  const record = await getAgentKey(parts[1]);
  const ok = await bcrypt.compare(parts[2], record?.secret_hash ?? DUMMY_HASH);
  if (!record || !ok) throw new UnauthorizedError('unknown key or wrong secret');
  if (record.revoked_at) throw new UnauthorizedError('revoked key');
  const ctx: AgentContext = {
    kind: 'agent',
    tenantId: record.tenant_id,
    keyId: record.id,
    allow: record.allow,
    expiresAt: Date.parse(record.expires_at),
  };
  if (config.AUTH_CACHE_TTL_SECONDS > 0) {
    if (verified.size >= MAX_CACHED_KEYS) verified.delete(verified.keys().next().value as string);
    verified.set(digest, { ctx, until: Date.now() + config.AUTH_CACHE_TTL_SECONDS * 1000 });
  }
  return checkExpiry(ctx);
}

function checkExpiry(ctx: AgentContext): AgentContext {
  if (ctx.expiresAt <= Date.now()) throw new UnauthorizedError('expired agent key');
  return ctx;
}

/** Counts a call against max_calls, atomically; 401 when the key is revoked, expired or used up. */
export async function countCall(ctx: AgentContext): Promise<void> {
  if (!(await countAgentCall(ctx.keyId, new Date())))
    throw new UnauthorizedError('agent key revoked, expired or used up');
}

/** Forgets a revoked key at once in this process. */
export function forgetAgentKey(keyId: string): void {
  for (const [digest, entry] of verified) if (entry.ctx.keyId === keyId) verified.delete(digest);
}

export function keyMatches(pattern: string, key: string): boolean {
  return pattern.endsWith('*') ? key.startsWith(pattern.slice(0, -1)) : pattern === key;
}

/** `/files` matches `/files` and `/files/x`, not `/filesx`; `/` matches every path. */
export function pathMatches(prefix: string, path: string): boolean {
  const p = prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
  return p === '/' || path === p || path.startsWith(`${p}/`);
}

/** The entries allowing this provider and connection key (for any method and path). */
export function allowsConnection(ctx: AgentContext, provider: string, key: string): boolean {
  return ctx.allow.some((a) => a.provider === provider && keyMatches(a.key, key));
}

/**
 * 403 unless an allow-list entry covers the whole call. `path` must already be normalised (the
 * proxy refuses dot segments and encoded separators before this).
 */
export function assertAllowed(
  ctx: AgentContext,
  call: { provider: string; key: string; method: string; path: string },
) {
  const ok = ctx.allow.some(
    (a) =>
      a.provider === call.provider &&
      keyMatches(a.key, call.key) &&
      (!a.methods || a.methods.some((m) => m === call.method)) &&
      (!a.paths || a.paths.some((p) => pathMatches(p, call.path))),
  );
  if (!ok) throw new ForbiddenError('This agent key does not allow this call.');
}
