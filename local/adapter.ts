import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { responseStreaming } from '../lib/http/streaming.js';
import type { HttpResult, RouteDef } from '../lib/http/types.js';

// Serves the route table's handlers over node:http: each request becomes the API Gateway (HTTP
// API, payload 2.0) event the deployed Lambda would get, and the handler's result the response.

/** Lambda's result; locally the proxy may return its body as a stream (see lib/http/streaming.ts). */
type Result = Omit<HttpResult, 'body'> & { body?: string | Readable; isBase64Encoded?: boolean };
type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<Result>;

/** API Gateway's hard payload limit; the handlers enforce the vault's own, smaller one. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

interface Compiled {
  def: RouteDef;
  pattern: RegExp;
  names: string[];
  handler?: Promise<Handler>;
}

export interface AdapterOptions {
  root: string;
  routes: RouteDef[];
  corsOrigins: string[];
}

export function createAdapter({ root, routes, corsOrigins }: AdapterOptions) {
  responseStreaming.enabled = true;
  const compiled: Compiled[] = routes.map((def) => {
    const names: string[] = [];
    const source = def.path
      .replace(/[.*?^$()|[\]\\]/g, '\\$&')
      .replace(/\{(\w+)(\+?)\}/g, (_m, name: string, greedy: string) => {
        names.push(name);
        return greedy ? '(.+)' : '([^/]+)';
      });
    return { def, pattern: new RegExp(`^${source}$`), names };
  });

  const load = (c: Compiled) => {
    c.handler ??= import(pathToFileURL(join(root, c.def.entry)).href).then((m) => m.handler as Handler);
    return c.handler;
  };

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const candidates = compiled.filter((c) => c.pattern.test(url.pathname));

    if (method === 'OPTIONS' && candidates.length > 0 && corsOrigins.length > 0) {
      return preflight(req, res, corsOrigins, candidates);
    }
    const match = candidates.find((c) => c.def.method === method || c.def.method === 'ANY');
    if (!match) {
      return problem(
        res,
        candidates.length ? 405 : 404,
        candidates.map((c) => c.def.method),
      );
    }

    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      return problem(res, 413, []);
    }
    const groups = match.pattern.exec(url.pathname)?.slice(1) ?? [];
    const event = toEvent(req, url, method, match, groups, body);
    const handler = await load(match);
    const result = await handler(event, lambdaContext(match.def.id, event.requestContext.requestId));
    // Lambda drops headers whose value is undefined (middy sets some that way); node:http would throw.
    const headers = Object.entries(result.headers ?? {}).filter(([, v]) => v !== undefined && v !== null);
    res.writeHead(result.statusCode, Object.fromEntries(headers));
    if (result.body instanceof Readable) {
      // A streamed body (the proxy): a failure mid-way cuts the connection, as it would upstream.
      await pipeline(result.body, res).catch(() => res.destroy());
    } else if (result.isBase64Encoded) res.end(Buffer.from(result.body ?? '', 'base64'));
    else res.end(result.body ?? '');
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        req.destroy();
        reject(new Error('too large'));
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function toEvent(
  req: IncomingMessage,
  url: URL,
  method: string,
  match: Compiled,
  groups: string[],
  body: Buffer,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') cookies.push(...String(value).split(/;\s*/));
    else headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  // API Gateway joins repeated query parameters with commas.
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const decode = (v: string) => {
    try {
      return decodeURIComponent(v);
    } catch {
      return v;
    }
  };
  const pathParameters = Object.fromEntries(match.names.map((n, i) => [n, decode(groups[i] ?? '')]));
  const now = new Date();
  const requestId = randomUUID();
  const routeKey = `${method} ${match.def.path}`;
  return {
    version: '2.0',
    routeKey,
    // As received: dot segments and encodings unresolved (the proxy refuses paths that would escape).
    rawPath: (req.url ?? '/').split('?')[0] as string,
    rawQueryString: url.search.slice(1),
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(match.names.length ? { pathParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: '127',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    // Like API Gateway: text as is, anything else (binary) base64-encoded.
    ...(body.length
      ? isUtf8(body)
        ? { body: body.toString('utf8') }
        : { body: body.toString('base64') }
      : {}),
    isBase64Encoded: body.length > 0 && !isUtf8(body),
  };
}

function lambdaContext(functionName: string, requestId: string): Context {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/local/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function preflight(req: IncomingMessage, res: ServerResponse, origins: string[], candidates: Compiled[]) {
  const origin = req.headers.origin;
  const allowed = origin && (origins.includes('*') || origins.includes(origin));
  res.writeHead(204, {
    ...(allowed
      ? {
          'Access-Control-Allow-Origin': origins.includes('*') ? '*' : origin,
          'Access-Control-Allow-Methods': candidates
            .map((c) => (c.def.method === 'ANY' ? 'GET, POST, PUT, PATCH, DELETE' : c.def.method))
            .join(', '),
          'Access-Control-Allow-Headers':
            'authorization, content-type, x-registration-secret, idempotency-key',
          'Access-Control-Max-Age': '600',
        }
      : {}),
    Vary: 'Origin',
  });
  res.end();
}

function problem(res: ServerResponse, status: 404 | 405 | 413, allow: string[]) {
  const title = { 404: 'Not Found', 405: 'Method Not Allowed', 413: 'Payload Too Large' }[status];
  // Like the handlers' problems: every response names its request.
  const requestId = randomUUID();
  res.writeHead(status, {
    'Content-Type': 'application/problem+json',
    'X-Request-Id': requestId,
    ...(status === 405 ? { Allow: allow.join(', ') } : {}),
  });
  res.end(JSON.stringify({ type: 'about:blank', title, status, request_id: requestId }));
}
