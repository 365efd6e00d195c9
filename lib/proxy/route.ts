import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { authenticateAgent, isAgentKeyHeader } from '../auth/agent-keys.js';
import { authenticate, requireScope } from '../auth/api-keys.js';
import { config } from '../config.js';
import { BadGatewayError, BadRequestError, ForbiddenError, UnauthorizedError } from '../errors.js';
import { problemErrors, type VaultEvent } from '../http/middleware.js';
import { responseStreaming } from '../http/streaming.js';
import type { HttpResult, RouteDef } from '../http/types.js';
import { logger, metrics, tracer } from '../observability.js';
import type { Caller, ProxyRequest, ProxyResponse } from './service.js';

// The middy chain of the routes agent keys may use (the proxy, MCP). Like lib/http/route.ts, minus
// its JSON body parsing (these pass bodies through, up to the platform's limit) and with an auth
// step that takes an agent key, or an API key with the route's scope when `apiKeys` allows.

/** What these handlers return: a body may be a stream where the server can stream (locally). */
export type StreamingResult = Omit<HttpResult, 'body'> & {
  body?: string | Readable;
  isBase64Encoded?: boolean;
};

export function callerRoute(
  def: RouteDef,
  opts: { apiKeys: boolean },
  fn: (args: { caller: Caller; event: VaultEvent }) => Promise<StreamingResult>,
): (event: APIGatewayProxyEventV2, context: Context) => Promise<StreamingResult> {
  const handler = middy<VaultEvent, StreamingResult, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics))
    .use(httpHeaderNormalizer())
    .use(httpCors({ origins: config.CORS_ORIGINS, exposeHeaders: 'Location, WWW-Authenticate' }))
    .use(httpSecurityHeaders())
    .use(problemErrors() as middy.MiddlewareObj<VaultEvent, StreamingResult>)
    .handler(async (event) => {
      event.vault ??= {};
      const header = event.headers?.authorization;
      let caller: Caller;
      if (isAgentKeyHeader(header)) caller = await authenticateAgent(header);
      else if (!opts.apiKeys) {
        if (!header) throw new UnauthorizedError('no credentials');
        throw new ForbiddenError('This endpoint takes agent keys only.');
      } else {
        const auth = await authenticate(header);
        if (def.scope) requireScope(auth, def.scope);
        caller = { kind: 'api', auth };
      }
      logger.appendKeys({ tenant_id: caller.kind === 'api' ? caller.auth.tenantId : caller.tenantId });
      return fn({ caller, event });
    });
  return handler as unknown as (event: APIGatewayProxyEventV2, context: Context) => Promise<StreamingResult>;
}

/** The request body as bytes, whether API Gateway base64-encoded it or not. */
export function eventBody(event: APIGatewayProxyEventV2): Uint8Array | undefined {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/**
 * The provider's response as a handler result: streamed where the server streams, else buffered
 * and base64-encoded (API Gateway decodes it), within Lambda's 6 MB response payload.
 */
export async function toResult(res: ProxyResponse): Promise<StreamingResult> {
  // The provider's caching headers stand; without any, nothing on the way may keep the answer.
  const headers = {
    ...(res.headers['cache-control'] ? {} : { 'cache-control': 'no-store' }),
    ...res.headers,
  };
  if (!res.body) return { statusCode: res.status, headers, body: '' };
  if (responseStreaming.enabled) {
    return {
      statusCode: res.status,
      headers,
      body: Readable.fromWeb(res.body as unknown as NodeReadableStream<Uint8Array>),
    };
  }
  let bytes: Buffer;
  try {
    bytes = Buffer.from(await new Response(res.body).arrayBuffer());
  } catch {
    throw new BadGatewayError('The provider’s response is larger than this deployment can return (6 MB).');
  }
  // base64 grows the body by a third, and the whole response must fit in 6 MB.
  if (bytes.length > 4.4 * 1024 * 1024)
    throw new BadGatewayError(
      'The provider’s response is larger than this deployment can return (about 4.4 MB).',
    );
  return { statusCode: res.status, headers, body: bytes.toString('base64'), isBase64Encoded: true };
}

/** `/v1/proxy/{provider}/{path+}` as a proxy request; the path stays percent-encoded, as received. */
export function proxyRequestOf(event: APIGatewayProxyEventV2): ProxyRequest {
  const m = /^\/v1\/proxy\/([^/]+)(\/.*)$/.exec(event.rawPath ?? '');
  if (!m?.[1] || !m[2]) throw new BadRequestError('Call /v1/proxy/{provider}/{path}.');
  return {
    provider: m[1],
    path: m[2],
    query: event.rawQueryString ?? '',
    method: event.requestContext.http.method,
    headers: Object.fromEntries(
      Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
    ),
    body: eventBody(event),
  };
}
