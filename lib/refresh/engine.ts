import { randomUUID } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as oauth from 'oauth4webapi';
import { auditCompanion, systemContext } from '../audit/service.js';
import type { AuditContext } from '../audit/types.js';
import {
  BadGatewayError,
  ConflictError,
  type HttpError,
  NotFoundError,
  ServiceUnavailableError,
} from '../errors.js';
import { newEvent } from '../events/outbox.js';
import { dataKeys } from '../keyring/index.js';
import { logger, metrics } from '../observability.js';
import { classify, type GrantFailure, providerClient, requestOptions } from '../providers/oauth.js';
import { splitScopes, validateTokenResponse } from '../providers/token-response.js';
import { acquireLease, leaseHeld, releaseLease } from '../store/leases.js';
import { getOAuthApp } from '../store/oauth-apps.js';
import { getToken, mustGetToken, type TokenRecord } from '../store/tokens.js';
import {
  expiryFrom,
  modifyToken,
  refreshDueAt,
  sealAccess,
  sealRefresh,
  tokenAudit,
  tokenTarget,
  toTokenView,
} from '../tokens/service.js';
import { inCooldown, needsRefresh, type RefreshMode } from './rules.js';

export type { RefreshMode };

// Refreshing a token, once: whoever takes the token's lease calls the provider; everyone else
// (other Lambdas, the scheduled job, concurrent GETs) waits for the lease to go and re-reads.

export interface RefreshFailure extends GrantFailure {
  /** Seconds until the vault will try the provider again. */
  retryAfter?: number;
}

export interface RefreshOutcome {
  token: TokenRecord;
  /** This call refreshed it (not someone it waited for). */
  refreshed: boolean;
  failure?: RefreshFailure;
}

const LEASE_MS = 30_000;
const WAIT_POLL_MS = 100;
const WAIT_MAX_MS = 25_000;
const BACKOFF_BASE_S = 60;
const BACKOFF_MAX_S = 3600;

export function backoffSeconds(failures: number): number {
  const base = Math.min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** Who a refresh's changes are recorded as: the jobs act for themselves, a forced refresh for its caller. */
const jobContext = (mode: RefreshMode): AuditContext =>
  systemContext(mode === 'scheduled' ? 'RefreshDue' : 'RefreshOnDemand');

export async function refresh(
  tenantId: string,
  tokenId: string,
  mode: RefreshMode,
  ctx: AuditContext = jobContext(mode),
): Promise<RefreshOutcome> {
  const started = Date.now();
  const t = await mustGetToken(tenantId, tokenId, true);
  if (!needsRefresh(t, mode)) return { token: t, refreshed: false };
  if (!t.refresh_token_enc) {
    return {
      token: t,
      refreshed: false,
      failure: { permanent: true, code: 'no_refresh_token', message: 'The token has no refresh token.' },
    };
  }
  if (t.status === 'needs_reauth') {
    return {
      token: t,
      refreshed: false,
      failure: { permanent: true, code: 'needs_reauth', message: 'The user must connect again.' },
    };
  }
  const cooldown = inCooldown(t);
  if (cooldown !== null && mode !== 'scheduled') {
    return {
      token: t,
      refreshed: false,
      failure: {
        permanent: false,
        code: 'cooldown',
        message: 'Recent refreshes failed; waiting before the next try.',
        retryAfter: cooldown,
      },
    };
  }
  const app = await getOAuthApp(tenantId, t.provider);
  if (!app) {
    // Nothing can refresh it: take it off the schedule (a successful on-demand refresh, once an
    // OAuth app exists, puts it back).
    if (mode === 'scheduled') {
      // Only the schedule changes: not a change of the token anyone acts on, so not audited.
      await modifyToken(tenantId, tokenId, (x) => ({ ...x, refresh_due_at: null }));
    }
    return {
      token: t,
      refreshed: false,
      failure: {
        permanent: true,
        code: 'no_oauth_app',
        message: `No OAuth app is configured for provider '${t.provider}'.`,
      },
    };
  }

  const owner = randomUUID();
  if (!(await acquireLease(tenantId, tokenId, owner, LEASE_MS)))
    return waitForHolder(tenantId, tokenId, started);
  try {
    // Re-read under the lease: the holder before us may have refreshed it already.
    const current = await mustGetToken(tenantId, tokenId, true);
    if (current.last_refreshed_at && Date.parse(current.last_refreshed_at) >= started)
      return { token: current, refreshed: false };
    if (!needsRefresh(current, mode) || !current.refresh_token_enc || current.status === 'needs_reauth') {
      return { token: current, refreshed: false };
    }
    return await callProvider(current, app, ctx);
  } finally {
    await releaseLease(tenantId, tokenId, owner);
  }
}

async function waitForHolder(tenantId: string, tokenId: string, started: number): Promise<RefreshOutcome> {
  const deadline = Date.now() + WAIT_MAX_MS;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
    if (!(await leaseHeld(tenantId, tokenId))) break;
  }
  const token = await mustGetToken(tenantId, tokenId, true);
  const e = token.last_error;
  const failedNow = e !== null && Date.parse(e.at) >= started;
  return {
    token,
    refreshed: false,
    ...(failedNow
      ? {
          failure: {
            permanent: token.status === 'needs_reauth',
            code: e.code,
            message: e.message,
            retryAfter: inCooldown(token) ?? undefined,
          },
        }
      : {}),
  };
}

async function callProvider(
  t: TokenRecord,
  app: NonNullable<Awaited<ReturnType<typeof getOAuthApp>>>,
  ctx: AuditContext,
): Promise<RefreshOutcome> {
  try {
    const refreshToken = await dataKeys.decrypt(
      { tenantId: t.tenant_id, record: `token#${t.id}`, field: 'refresh_token' },
      t.refresh_token_enc as string,
    );
    let result: oauth.TokenEndpointResponse;
    try {
      const pc = await providerClient(app, t.url_params);
      const response = await oauth.refreshTokenGrantRequest(
        pc.as,
        pc.client,
        pc.auth,
        refreshToken,
        requestOptions(),
      );
      result = validateTokenResponse(await oauth.processRefreshTokenResponse(pc.as, pc.client, response));
    } catch (err) {
      return await recordFailure(t, classify(err), ctx);
    }
    return await storeRefreshed(t, result, ctx);
  } catch (err) {
    // Anything else after taking the lease (KMS, a failed write): record it like a provider failure,
    // so the token shows why and backs off instead of being retried at once by every run.
    return recordInternalError(t, err, ctx);
  }
}

async function storeRefreshed(
  t: TokenRecord,
  result: oauth.TokenEndpointResponse,
  ctx: AuditContext,
): Promise<RefreshOutcome> {
  const now = new Date();
  const token = await modifyToken(
    t.tenant_id,
    t.id,
    async (x) => {
      x.access_token_enc = await sealAccess(x, result.access_token);
      // Rotation: a new refresh token replaces the old; none in the response keeps the old one.
      if (result.refresh_token) x.refresh_token_enc = await sealRefresh(x, result.refresh_token);
      x.expires_at = expiryFrom({ expires_in: result.expires_in }, now.getTime());
      if (result.scope) x.scopes = splitScopes(result.scope);
      x.token_type = result.token_type;
      x.status = 'active';
      x.last_refreshed_at = now.toISOString();
      x.last_error = null;
      x.refresh_failures = 0;
      x.refresh_due_at = refreshDueAt(x);
      return x;
    },
    (x) => [newEvent(x.tenant_id, 'token.refreshed', { token: toTokenView(x) })],
    tokenAudit(ctx, 'token.refresh'),
  );
  metrics.addMetric('TokensRefreshed', MetricUnit.Count, 1);
  return { token, refreshed: true };
}

const INTERNAL_ERROR: GrantFailure = {
  permanent: false,
  code: 'internal_error',
  message: 'The vault could not complete the refresh; it will try again.',
};

/**
 * Records an unexpected error as a refresh failure (backoff included). If even that fails, logs it
 * (names only: the error objects can carry provider responses) and rethrows the original.
 */
async function recordInternalError(t: TokenRecord, err: unknown, ctx: AuditContext): Promise<RefreshOutcome> {
  if (err instanceof NotFoundError) throw err; // deleted meanwhile: nothing to record on
  const error = `${(err as Error)?.name}: ${(err as Error)?.message}`.slice(0, 300);
  logger.error('Token refresh errored', { tenant_id: t.tenant_id, token_id: t.id, error });
  try {
    return await recordFailure(t, INTERNAL_ERROR, ctx);
  } catch (again) {
    logger.error('Could not record a refresh failure', {
      tenant_id: t.tenant_id,
      token_id: t.id,
      error: (again as Error)?.name,
    });
    throw err;
  }
}

/**
 * For the scheduled job: a refresh that threw (before or without taking the lease, e.g. a storage
 * error) still moves the token's due time, unless someone changed the token meanwhile.
 */
export async function recordJobError(tenantId: string, tokenId: string, err: unknown): Promise<void> {
  const t = await getToken(tenantId, tokenId, true);
  if (!t || !needsRefresh(t, 'scheduled')) return; // deleted, refreshed, or already backed off
  await recordInternalError(t, err, jobContext('scheduled'));
}

/** A failed refresh changes the token's status: recorded as `token.refresh` with outcome `error`. */
async function recordFailure(
  t: TokenRecord,
  failure: GrantFailure,
  ctx: AuditContext,
): Promise<RefreshOutcome> {
  const now = new Date();
  const failures = t.refresh_failures + 1;
  const retryAfter = failure.permanent ? undefined : backoffSeconds(failures);
  logger.warn('Token refresh failed', {
    tenant_id: t.tenant_id,
    token_id: t.id,
    provider: t.provider,
    code: failure.code,
    permanent: failure.permanent,
  });
  metrics.addMetric(failure.permanent ? 'TokensNeedingReauth' : 'TokenRefreshFailures', MetricUnit.Count, 1);
  const token = await modifyToken(
    t.tenant_id,
    t.id,
    (x) => {
      x.last_error = { code: failure.code, message: failure.message, at: now.toISOString() };
      x.refresh_failures = failures;
      x.status = failure.permanent ? 'needs_reauth' : 'refresh_failed';
      x.refresh_due_at = failure.permanent
        ? null
        : new Date(now.getTime() + (retryAfter as number) * 1000).toISOString();
      return x;
    },
    (x) => [
      newEvent(x.tenant_id, 'token.refresh_failed', { token: toTokenView(x), error: x.last_error }),
      ...(failure.permanent ? [newEvent(x.tenant_id, 'token.needs_reauth', { token: toTokenView(x) })] : []),
    ],
    (x) => [auditCompanion(x.tenant_id, ctx, 'token.refresh', tokenTarget(x), 'error')],
  );
  return { token, refreshed: false, failure: { ...failure, retryAfter } };
}

/**
 * The read path's refresh, run in its own function (GetToken only decides; see on-demand.ts): a
 * token valid for at least the margin when it can be; otherwise the stored one, whose status says
 * why. Null when the token is gone.
 */
export async function refreshForRead(tenantId: string, tokenId: string): Promise<TokenRecord | null> {
  try {
    return (await refresh(tenantId, tokenId, 'ensure')).token;
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

/** POST /v1/tokens/{id}/refresh: refresh now, or say precisely why not. */
export async function forceRefresh(
  tenantId: string,
  tokenId: string,
  ctx: AuditContext,
): Promise<TokenRecord> {
  const out = await refresh(tenantId, tokenId, 'force', ctx);
  if (out.failure) throw failureError(out.failure);
  return out.token;
}

function failureError(f: RefreshFailure): HttpError {
  let err: HttpError;
  if (f.permanent) err = new ConflictError(`${f.message} (${f.code})`);
  else if (f.code === 'cooldown' || f.code === 'internal_error') err = new ServiceUnavailableError(f.message);
  else err = new BadGatewayError(`${f.message} (${f.code})`);
  if (f.retryAfter) Object.assign(err.headers, { 'Retry-After': String(f.retryAfter) });
  return err;
}
