import * as z from 'zod';
import { problemSchema } from '../schemas.js';
import {
  IDEMPOTENCY_DESCRIPTION,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  takesIdempotencyKey,
} from './idempotency-key.js';
import type { RouteDef } from './types.js';

// The OpenAPI 3.1 document, generated from the route table's zod schemas (OpenAPI 3.1 uses JSON
// Schema 2020-12, which is what zod emits). Named schemas (`.meta({ id })`) become components.

type Json = Record<string, unknown>;

const STATUS_TEXT: Record<number, string> = {
  400: 'Malformed request (bad JSON, bad cursor)',
  401: 'Missing, malformed, unknown or revoked API key',
  402: 'Over a plan limit, or read-only after a failed payment (billing on)',
  403: 'The API key lacks the scope, or registration is closed',
  404: 'Not found (or another tenant’s)',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Body over 64 KiB',
  415: 'Body is not application/json',
  422: 'The request does not match the schema or exceeds one of its limits (length, items, range)',
  429: 'Too many requests: the tenant’s rate limit, or the gateway’s throttling. Retry after `Retry-After` seconds.',
  500: 'Internal error (the body carries a request id)',
  502: 'The OAuth provider failed',
  503: 'Temporarily unavailable; retry after `Retry-After` seconds',
};

/** Error statuses whose responses also carry `Retry-After`. */
const RETRY_AFTER = new Set([429, 503]);

// Seconds and counts: int32 is plenty, and OWASP's lint wants every integer's format and range.
const count = (description: string): Json => ({
  description,
  schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 2_147_483_647 },
});
const HEADERS: Record<string, Json> = {
  'Access-Control-Allow-Origin': {
    description: 'Present when the request’s `Origin` is one of the deployment’s `CORS_ORIGINS`.',
    schema: { type: 'string', maxLength: 2048 },
  },
  'X-Request-Id': {
    description: 'Names this request in the logs; problem bodies carry it as `request_id`.',
    schema: { type: 'string', maxLength: 128 },
  },
  'Retry-After': count('Seconds to wait before trying again.'),
  'RateLimit-Limit': count('The request quota: how many requests the tenant may make in a burst.'),
  'RateLimit-Remaining': count('Requests left in the current quota.'),
  'RateLimit-Reset': count('Seconds until the quota is whole again.'),
};
const RATE_LIMIT_HEADERS = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'];
const headerRefs = (names: string[]): Json =>
  Object.fromEntries(
    ['Access-Control-Allow-Origin', 'X-Request-Id', ...names].map((n) => [
      n,
      { $ref: `#/components/headers/${n}` },
    ]),
  );

/**
 * Every 4xx a route can answer, derived from its definition: a scope can fail authentication
 * (401) or authorization (403); a body can be malformed (400), too big (413), not JSON (415) or
 * invalid (422); query and path parameters can be invalid (422), a cursor malformed (400); a path
 * parameter can name nothing (404); anything can be throttled (429). `errors` adds what only the
 * route knows (409, 502, 503, ...). 500 is always documented too.
 */
export function errorStatuses(r: RouteDef): number[] {
  const out = new Set<number>([...(r.errors ?? []), 429, 500]);
  const add = (...codes: number[]) => {
    for (const c of codes) out.add(c);
  };
  if (r.scope) add(401, 403);
  if (r.body) add(400, 413, 415, 422);
  if (r.query || r.params) add(422);
  if (r.query instanceof z.ZodObject && 'cursor' in r.query.shape) add(400);
  if (/\{[^}]+\}/.test(r.path)) add(404);
  // An Idempotency-Key can be too long (400), in flight (409), or reused with another request (422).
  if (takesIdempotencyKey(r)) add(400, 409, 422);
  return [...out].sort((a, b) => a - b);
}

export function buildOpenApi(routes: RouteDef[], info: { title: string; version: string }): Json {
  const components: Record<string, Json> = {};

  // Raw (unlinked) form of each component, to tell an input variant that differs from the output one.
  const raw: Record<string, string> = {};

  const toSchema = (schema: z.ZodType, io: 'input' | 'output'): Json => {
    const {
      $defs = {},
      $schema: _,
      ...root
    } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json & { $defs?: Record<string, Json> };
    const names = new Map<string, string>();
    for (const [id, def] of Object.entries($defs)) {
      const same = raw[id] === undefined || raw[id] === JSON.stringify(def);
      names.set(id, same ? id : `${id}Input`);
    }
    const relink = (node: Json): Json =>
      JSON.parse(
        JSON.stringify(node).replace(
          /"#\/\$defs\/([^"]+)"/g,
          (_m, id: string) => `"#/components/schemas/${names.get(id) ?? id}"`,
        ),
      );
    for (const [id, def] of Object.entries($defs)) {
      const name = names.get(id) ?? id;
      raw[name] ??= JSON.stringify(def);
      components[name] = relink(def);
    }
    return relink(root);
  };

  const problemRef = toSchema(problemSchema, 'output');
  const paths: Record<string, Record<string, Json>> = {};

  for (const r of routes) {
    const parameters: Json[] = [];
    const addParams = (where: 'path' | 'query', schema: z.ZodType | undefined) => {
      if (!schema) return;
      const s = toSchema(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
      for (const [name, prop] of Object.entries(s.properties ?? {})) {
        const { description, ...rest } = prop;
        parameters.push({
          name,
          in: where,
          required: where === 'path' || (s.required ?? []).includes(name),
          ...(description ? { description } : {}),
          schema: rest,
        });
      }
    };
    addParams('path', r.params);
    addParams('query', r.query);
    for (const [name, description] of Object.entries(r.headers ?? {})) {
      // API Gateway caps the request line and headers at 10 KiB together.
      const schema = { type: 'string', maxLength: 8192 };
      parameters.push({ name, in: 'header', required: false, description, schema });
    }
    const idempotent = takesIdempotencyKey(r);
    if (idempotent) {
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: IDEMPOTENCY_DESCRIPTION,
        schema: { type: 'string', minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_LENGTH },
      });
    }

    const responses: Record<string, Json> = {};
    for (const [status, spec] of Object.entries(r.responses)) {
      responses[status] = {
        description: spec.description,
        // The per-tenant limiter answers for authenticated routes, on success too.
        headers: headerRefs(r.scope && status.startsWith('2') ? RATE_LIMIT_HEADERS : []),
        ...(spec.schema || spec.contentType
          ? {
              content: {
                [spec.contentType ?? 'application/json']: spec.schema
                  ? { schema: toSchema(spec.schema, 'output') }
                  : {},
              },
            }
          : {}),
      };
    }
    for (const status of errorStatuses(r)) {
      const headers = [
        ...(RETRY_AFTER.has(status) ? ['Retry-After'] : []),
        ...(status === 429 ? RATE_LIMIT_HEADERS : []),
      ];
      responses[String(status)] = {
        description: STATUS_TEXT[status] ?? 'Error',
        headers: headerRefs(headers),
        content: { 'application/problem+json': { schema: problemRef } },
      };
    }

    // `{path+}` (API Gateway's greedy parameter) is `{path}` in OpenAPI; ANY is each method.
    const path = r.path.replace(/\{(\w+)\+\}/g, '{$1}');
    paths[path] ??= {};
    const methods = r.method === 'ANY' ? ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] : [r.method];
    for (const method of methods)
      (paths[path] as Record<string, Json>)[method.toLowerCase()] = {
        operationId: r.method === 'ANY' ? `${r.id}${method[0]}${method.slice(1).toLowerCase()}` : r.id,
        summary: r.summary,
        tags: [r.tag],
        ...(r.scope
          ? { security: [{ apiKey: [] }], description: `Requires the \`${r.scope}\` scope (or \`admin\`).` }
          : r.secretHeader
            ? {
                security: [...(r.secretHeader.optional ? [{}] : []), { [r.secretHeader.name]: [] }],
                description: r.secretHeader.description,
              }
            : { security: [], description: 'Public: no API key.' }),
        ...(parameters.length ? { parameters } : {}),
        ...(r.body
          ? {
              requestBody: {
                required: true,
                content: { 'application/json': { schema: toSchema(r.body, 'input') } },
              },
            }
          : {}),
        responses,
      };
  }

  return {
    openapi: '3.1.0',
    info: {
      ...info,
      description: 'Self-hostable OAuth token vault: store, refresh and watch your users’ OAuth tokens.',
    },
    security: [{ apiKey: [] }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: components,
      headers: HEADERS,
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key: `Authorization: Bearer vk_live_...`',
        },
        ...Object.fromEntries(
          routes.flatMap((r) =>
            r.secretHeader
              ? [
                  [
                    r.secretHeader.name,
                    { type: 'apiKey', in: r.secretHeader.in ?? 'header', name: r.secretHeader.name },
                  ],
                ]
              : [],
          ),
        ),
      },
    },
  };
}
