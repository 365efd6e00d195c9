import { z } from 'zod';
import { problemSchema } from './schemas.js';
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
  409: 'Conflict',
  413: 'Body over 64 KiB',
  415: 'Body is not application/json',
  422: 'The request does not match the schema',
  429: 'Rate limited',
  500: 'Internal error (the body carries a request id)',
  502: 'The OAuth provider failed',
};

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
      parameters.push({ name, in: 'header', required: false, description, schema: { type: 'string' } });
    }

    const responses: Record<string, Json> = {};
    for (const [status, spec] of Object.entries(r.responses)) {
      responses[status] = {
        description: spec.description,
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
    for (const status of [...(r.errors ?? []), 500]) {
      responses[String(status)] = {
        description: STATUS_TEXT[status] ?? 'Error',
        content: { 'application/problem+json': { schema: problemRef } },
      };
    }

    paths[r.path] ??= {};
    (paths[r.path] as Record<string, Json>)[r.method.toLowerCase()] = {
      operationId: r.id,
      summary: r.summary,
      tags: [r.tag],
      ...(r.scope
        ? { security: [{ apiKey: [] }], description: `Requires the \`${r.scope}\` scope (or \`admin\`).` }
        : { security: [] }),
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
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key: `Authorization: Bearer vk_live_...`',
        },
      },
    },
  };
}
