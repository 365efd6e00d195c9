import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { AuditContext } from '../audit/types.js';
import type { AuthContext } from '../auth/api-keys.js';
import { config } from '../config.js';
import { logger, metrics, tracer } from '../observability.js';
import { auditTrail } from './audit.js';
import { requestAuditContext } from './audit-context.js';
import { billing } from './billing.js';
import { apiKeyAuth, jsonBody, problemErrors, type VaultEvent, validate } from './middleware.js';
import { rateLimit } from './rate-limit.js';
import { requestId } from './request-id.js';
import { securityHeaderOptions } from './security-headers.js';
import type { HttpResult, RouteDef, RouteInput, SuccessOf } from './types.js';

export interface HandlerArgs<D extends RouteDef> extends RouteInput<D> {
  /** Present on every route with a scope. */
  auth: D['scope'] extends null ? undefined : AuthContext;
  /** Who, from where, under which request id: for the audit events the request records. Present with `auth`. */
  audit: D['scope'] extends null ? undefined : AuditContext;
  event: VaultEvent;
}

export interface RouteOptions {
  /**
   * Called with the caller's tenant while its API key is checked for the first time in this
   * process (a bcrypt compare, ~100-300 ms of a cold start): a read route starts its own reads
   * meanwhile. Its result is in `event.vault.prefetched`; nothing may be handed out from it unless
   * the key verifies (the handler runs only then) and the request is the one it was started for.
   */
  whileVerifying?: (tenantId: string, event: VaultEvent) => unknown;
}

/** The Idempotency-Key middleware's two halves (lib/http/idempotency.ts). */
export interface IdempotencyPhases {
  complete: middy.MiddlewareObj<VaultEvent, HttpResult>;
  claim: middy.MiddlewareObj<VaultEvent, HttpResult>;
}

export type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResult>;

/**
 * Builds a route's Lambda handler: observability, errors, headers, body, auth, validation — in
 * that order — then `fn`, which gets typed input and returns a response from lib/http/responses.
 * Through route() (lib/http/route.ts) or readRoute() (lib/http/read-route.ts), which decide `idem`.
 */
export function buildRoute<D extends RouteDef>(
  def: D,
  fn: (args: HandlerArgs<D>) => Promise<SuccessOf<D>>,
  options: RouteOptions,
  idem: IdempotencyPhases | undefined,
): Handler {
  // Typed on VaultEvent inside the chain (the middlewares add `vault`); callers pass a plain event.
  const handler = middy<VaultEvent, HttpResult, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics))
    .use(httpHeaderNormalizer())
    .use(
      httpCors({
        origins: config.CORS_ORIGINS,
        exposeHeaders: 'Location, WWW-Authenticate, X-Request-Id, Retry-After, Idempotency-Replayed',
      }),
    )
    .use(httpSecurityHeaders(securityHeaderOptions(def)))
    .use(requestId())
    // Before problemErrors: its after/onError see the final response, a problem included.
    .use(idem ? idem.complete : [])
    // Registered after cors and security headers so that its onError runs first and they
    // decorate the problem response too.
    .use(problemErrors())
    // After problemErrors: its onError sees a 403 or 404 before it becomes a response.
    .use(def.audit ? auditTrail(def) : [])
    .use(jsonBody(def.body !== undefined))
    .use(apiKeyAuth(def.scope, options.whileVerifying))
    // Only what the route needs is in its chain: each middleware costs the warm path a call.
    .use(def.scope !== null ? rateLimit() : [])
    .use(def.scope !== null && config.BILLING === 'stripe' ? billing(def) : [])
    .use(validate(def))
    .use(idem ? idem.claim : [])
    .handler(async (event) => {
      const v = event.vault;
      if (v.replay) return v.replay;
      return fn({
        body: v.body,
        query: v.query,
        params: v.params,
        auth: v.auth,
        audit: v.auth ? requestAuditContext(event, v.auth) : undefined,
        event,
      } as HandlerArgs<D>);
    });
  return handler as unknown as Handler;
}
