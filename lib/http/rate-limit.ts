import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { planRateLimit } from '../billing/rate-limit.js';
import { config } from '../config.js';
import { TooManyRequestsError } from '../errors.js';
import type { VaultEvent } from './middleware.js';
import type { HttpResult } from './types.js';

// Per-tenant rate limit: a token bucket per tenant, in this instance's memory, so the warm read
// path pays no DynamoDB round trip for it. Each instance (Lambda execution environment, or the
// local server) keeps its own buckets: across N warm instances a tenant can get up to N times the
// rate (README: "Rate limits"). API Gateway's stage throttling stays the outer wall.

export interface RateLimit {
  /** Tokens added per second. */
  rate: number;
  /** Bucket size: the burst allowed at once, and `RateLimit-Limit`. */
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const MAX_TENANTS = 10_000;
const buckets = new Map<string, Bucket>();

/**
 * A tenant's limit: its billing plan's `rate_limit_per_second` (with a burst of twice that) when
 * billing is on, else the configured default. The plan comes from billing's in-memory cache.
 */
export async function limitFor(tenantId: string): Promise<RateLimit> {
  const planRate = config.BILLING === 'stripe' ? await planRateLimit(tenantId) : undefined;
  if (planRate) return { rate: planRate, burst: Math.max(1, Math.ceil(2 * planRate)) };
  return defaultLimit;
}

export interface RateDecision {
  allowed: boolean;
  headers: Record<string, string>;
}

/** Takes one token from the tenant's bucket, if it has one. */
export function takeToken(tenantId: string, limit: RateLimit, now = Date.now()): RateDecision {
  let b = buckets.get(tenantId);
  if (b)
    buckets.delete(tenantId); // re-inserted below: the map's order is least recently used first
  else {
    if (buckets.size >= MAX_TENANTS) buckets.delete(buckets.keys().next().value as string);
    b = { tokens: limit.burst, at: now };
  }
  b.tokens = Math.min(limit.burst, b.tokens + ((now - b.at) / 1000) * limit.rate);
  b.at = now;
  const allowed = b.tokens >= 1;
  if (allowed) b.tokens -= 1;
  buckets.set(tenantId, b);

  // IETF RateLimit header fields: the quota, what is left of it, and seconds until it is whole again.
  const headers: Record<string, string> = {
    'RateLimit-Limit': String(limit.burst),
    'RateLimit-Remaining': String(Math.floor(b.tokens)),
    'RateLimit-Reset': String(Math.ceil((limit.burst - b.tokens) / limit.rate)),
  };
  if (!allowed) headers['Retry-After'] = String(Math.max(1, Math.ceil((1 - b.tokens) / limit.rate)));
  return { allowed, headers };
}

/** Forgets every bucket (tests). */
export function resetRateLimits(): void {
  buckets.clear();
}

type Request = middy.Request<VaultEvent, HttpResult, Error, Context>;
const defaultLimit: RateLimit = { rate: config.RATE_LIMIT_PER_SECOND, burst: config.RATE_LIMIT_BURST };
const pending = new WeakMap<VaultEvent, Record<string, string>>();

/** After authentication: 429 over the tenant's limit; the RateLimit headers on every answer that passes. */
export function rateLimit(): middy.MiddlewareObj<VaultEvent, HttpResult> {
  const before = async (request: Request) => {
    const auth = request.event.vault.auth;
    if (!auth) return;
    const limit = config.BILLING === 'stripe' ? await limitFor(auth.tenantId) : defaultLimit;
    const decision = takeToken(auth.tenantId, limit);
    pending.set(request.event, decision.headers);
    if (!decision.allowed) {
      const err = new TooManyRequestsError(
        'This tenant is over its request rate limit; retry after the given time.',
      );
      Object.assign(err.headers, decision.headers);
      throw err;
    }
  };
  const after = async (request: Request) => {
    const headers = pending.get(request.event);
    if (headers && request.response) request.response.headers = { ...request.response.headers, ...headers };
  };
  return { before, after };
}
