import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type * as z from 'zod';
import { isAgentKeyHeader } from '../auth/agent-keys.js';
import { type AuthContext, authenticate, requireScope } from '../auth/api-keys.js';
import { sessionAuth } from '../auth/sessions.js';
import {
  BadRequestError,
  type FieldError,
  ForbiddenError,
  HttpError,
  internalProblem,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.js';
import { logger } from '../observability.js';
import type { HttpResult, RouteDef } from './types.js';

// The vault's own middlewares, each a factory returning named phase functions (middy's style).

export const MAX_BODY_BYTES = 64 * 1024;

/** What the middlewares work out for the handler, kept on the event. */
export interface VaultRequest {
  auth?: AuthContext;
  body?: unknown;
  query?: unknown;
  params?: unknown;
  rawBody?: unknown;
  /** An idempotent retry: the first response, answered again instead of running the handler. */
  replay?: HttpResult;
  /** The request id of X-Request-Id, for audit events (lib/http/audit.ts). */
  requestId?: string;
  /** The authenticated caller even when its scope is refused, for auditing the denial. */
  caller?: AuthContext;
  /** What the route's `whileVerifying` started during a cold key check (see route()). */
  prefetched?: unknown;
}
export type VaultEvent = APIGatewayProxyEventV2 & { vault: VaultRequest };
type Request = middy.Request<VaultEvent, HttpResult, Error, Context>;

/** Turns any error into an RFC 9457 response; unknown errors become a bare 500 with a request id. */
export function problemErrors(): middy.MiddlewareObj<VaultEvent, HttpResult> {
  const onError = async (request: Request) => {
    const err = request.error;
    const requestId = request.context?.awsRequestId ?? request.event?.requestContext?.requestId ?? 'unknown';
    if (err instanceof HttpError) {
      if (err.statusCode >= 500)
        logger.error('Request failed', { status: err.statusCode, error: describe(err) });
      else if (err.cause)
        logger.info('Request refused', { status: err.statusCode, reason: String(err.cause) });
      const problem = err.toProblem();
      request.response = {
        statusCode: err.statusCode,
        headers: { 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store', ...err.headers },
        body: JSON.stringify({ ...problem, request_id: requestId }),
      };
      return;
    }
    // Log the error's kind and stack, never the error object: SDK and OAuth errors can carry payloads.
    logger.error('Unhandled error', { error: describe(err) });
    request.response = {
      statusCode: 500,
      headers: { 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store' },
      body: JSON.stringify(internalProblem(requestId)),
    };
  };
  return { onError };
}

function describe(err: unknown) {
  if (!(err instanceof Error)) return { name: typeof err };
  return { name: err.name, message: err.message, stack: err.stack };
}

/** Size limit (413), media type (415) and JSON syntax (400), before any schema check. */
export function jsonBody(expectsBody: boolean): middy.MiddlewareObj<VaultEvent, HttpResult> {
  const before = async (request: Request) => {
    const event = request.event;
    event.vault ??= {};
    const raw = event.body ?? '';
    const bytes = event.isBase64Encoded ? Math.floor((raw.length * 3) / 4) : Buffer.byteLength(raw);
    if (bytes > MAX_BODY_BYTES) throw new PayloadTooLargeError(`The body exceeds ${MAX_BODY_BYTES} bytes.`);
    if (!expectsBody) return;
    const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    if (text.trim() === '') throw new BadRequestError('A JSON body is required.');
    const type = event.headers?.['content-type'] ?? '';
    if (!/^application\/([a-z.+-]*\+)?json\s*(;|$)/i.test(type)) {
      throw new UnsupportedMediaTypeError('Send the body as application/json.');
    }
    try {
      event.vault.rawBody = JSON.parse(text);
    } catch {
      throw new BadRequestError('The body is not valid JSON.');
    }
  };
  return { before };
}

/**
 * Resolves the API key and checks the route's scope. `whileVerifying` (the route's) may start the
 * route's reads while a bcrypt compare runs; what it returns is kept in `event.vault.prefetched`.
 */
export function apiKeyAuth(
  scope: RouteDef['scope'],
  whileVerifying?: (tenantId: string, event: VaultEvent) => unknown,
): middy.MiddlewareObj<VaultEvent, HttpResult> {
  const before = async (request: Request) => {
    // Agent keys work on the proxy and MCP only, which authenticate on their own.
    if (isAgentKeyHeader(request.event.headers?.authorization))
      throw new ForbiddenError('Agent keys work only on /v1/proxy and /mcp.');
    if (scope === null) return;
    // A dashboard session cookie (same origin only) stands in for the key it came from.
    const { event } = request;
    const prefetch =
      whileVerifying && ((tenantId: string) => (event.vault.prefetched = whileVerifying(tenantId, event)));
    const auth = (await sessionAuth(event)) ?? (await authenticate(event.headers?.authorization, prefetch));
    request.event.vault.caller = auth;
    requireScope(auth, scope);
    request.event.vault.auth = auth;
    logger.appendKeys({ tenant_id: auth.tenantId });
  };
  return { before };
}

/** Validates body, query and path parameters against the route's zod schemas (422). */
export function validate(def: RouteDef): middy.MiddlewareObj<VaultEvent, HttpResult> {
  const before = async (request: Request) => {
    const { event } = request;
    const errors: FieldError[] = [];
    const check = (where: 'body' | 'query' | 'params', schema: z.ZodType | undefined, value: unknown) => {
      if (!schema) return;
      const result = schema.safeParse(value);
      if (result.success) event.vault[where] = result.data;
      else errors.push(...toFieldErrors(where, result.error));
    };
    check('params', def.params, event.pathParameters ?? {});
    check('query', def.query, event.queryStringParameters ?? {});
    check('body', def.body, event.vault.rawBody);
    if (errors.length > 0) throw new ValidationError(errors);
  };
  return { before };
}

export function toFieldErrors(where: string, error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue) => {
    const path = [where, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({ path: [...path, k].join('.'), message: 'Unknown field.' }));
    }
    return [{ path: path.join('.'), message: issue.message }];
  });
}
