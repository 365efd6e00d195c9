import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { routeList } from '../../../functions/routes.js';
import { buildOpenApi, errorStatuses } from '../../../lib/http/openapi.js';
import { defineRoute, type RouteDef } from '../../../lib/http/types.js';

// The OpenAPI document: each operation's 4xx derived from its route, request limits everywhere,
// and the Spectral lint (spectral:oas + OWASP, ruleset in .spectral.yaml) with no errors.

// biome-ignore lint/suspicious/noExplicitAny: walking a JSON document of every shape
type Json = any;

const doc: Json = buildOpenApi(routeList, { title: 'Token Vault API', version: '0.1.0' });
// ANY is one operation per method (the first checked here); `{path+}` is `{path}`.
const op = (r: RouteDef): Json =>
  doc.paths[r.path.replace('+}', '}')][r.method === 'ANY' ? 'get' : r.method.toLowerCase()];
const RATE_LIMIT = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'];

describe('errors derived from the route definition', () => {
  it('derives exactly what a definition implies', () => {
    // Prepare
    const base = { entry: 'x.ts', summary: 's', tag: 't', access: { table: 'none' as const, kms: [] } };
    const bare = defineRoute({ ...base, id: 'A', method: 'GET', path: '/a', scope: null, responses: {} });
    const full = defineRoute({
      ...base,
      id: 'B',
      method: 'PUT',
      path: '/b/{id}',
      scope: 'tokens:write',
      params: z.strictObject({ id: z.string().max(64) }),
      body: z.strictObject({ name: z.string().max(10) }),
      responses: {},
      errors: [409, 502],
    });
    const list = defineRoute({
      ...base,
      id: 'C',
      method: 'GET',
      path: '/c',
      scope: 'admin',
      query: z.strictObject({ cursor: z.string().max(10).optional() }),
      responses: {},
    });

    // Act
    const statuses = [errorStatuses(bare), errorStatuses(full), errorStatuses(list)];

    // Assess
    expect(statuses[0]).toEqual([429, 500]);
    expect(statuses[1]).toEqual([400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 502]);
    expect(statuses[2]).toEqual([400, 401, 403, 422, 429, 500]);
  });

  it.each(routeList.map((r) => [`${r.method} ${r.path}`, r] as const))('%s documents its 4xx', (_name, r) => {
    // Act: the operation the document has for this route.
    const codes = Object.keys(op(r).responses).map(Number);

    // Assess
    const expectIf = (cond: boolean, ...want: number[]) => {
      for (const c of want) expect(codes.includes(c), `${c}`).toBe(cond);
    };
    // Derived codes are there exactly when derived, unless the route lists them itself.
    const explicit = (c: number) => r.errors?.includes(c) ?? false;
    expectIf(r.scope !== null || explicit(401), 401);
    if (r.scope) expect(codes).toContain(403);
    for (const c of [413, 415]) expectIf(r.body !== undefined || explicit(c), c);
    if (r.body || r.query || r.params) expect(codes).toContain(422);
    if (r.body) expect(codes).toContain(400);
    expectIf(r.path.includes('{') || explicit(404), 404);
    for (const c of r.errors ?? []) expect(codes).toContain(c);
    for (const c of codes.filter((c) => c >= 400)) {
      expect(Object.keys(op(r).responses[c].content)).toEqual(['application/problem+json']);
    }

    const tooMany = op(r).responses['429'];
    expect(Object.keys(tooMany.headers)).toEqual(expect.arrayContaining(['Retry-After', ...RATE_LIMIT]));
    for (const [status, res] of Object.entries<Json>(op(r).responses).filter(([s]) => s.startsWith('2'))) {
      const names = Object.keys(res.headers ?? {});
      if (r.scope) expect(names, status).toEqual(expect.arrayContaining(RATE_LIMIT));
      else expect(names, status).not.toContain('RateLimit-Limit');
    }
  });

  it('describes the headers as bounded integers', () => {
    // Act
    const headers = doc.components.headers;

    // Assess
    for (const name of ['Retry-After', ...RATE_LIMIT]) {
      expect(headers[name].schema).toMatchObject({
        type: 'integer',
        format: 'int32',
        minimum: 0,
      });
    }
  });

  it('documents the registration secret as an optional credential, not an API key', () => {
    // Act
    const register = doc.paths['/v1/auth/register'].post;

    // Assess
    expect(register.security).toEqual([{}, { 'x-registration-secret': [] }]);
    expect(doc.components.securitySchemes['x-registration-secret']).toEqual({
      type: 'apiKey',
      in: 'header',
      name: 'x-registration-secret',
    });
  });
});

describe('request limits', () => {
  const resolve = (node: Json): Json => {
    if (node?.$ref) return resolve(doc.components.schemas[node.$ref.split('/').pop()]);
    return node;
  };
  /** Every schema node a client sends, refs followed (the metadata schema is not recursive). */
  function* nodes(node: Json, path: string): Generator<[string, Json]> {
    const n = resolve(node);
    if (!n || typeof n !== 'object') return;
    yield [path, n];
    for (const [k, v] of Object.entries<Json>(n)) {
      if (k === 'properties') for (const [p, s] of Object.entries(v)) yield* nodes(s, `${path}.${p}`);
      else if (k === 'anyOf' || k === 'oneOf' || k === 'allOf') for (const s of v) yield* nodes(s, path);
      else if (k === 'items' || k === 'additionalProperties' || k === 'propertyNames')
        yield* nodes(v, `${path}[${k}]`);
    }
  }
  const inputs = routeList.flatMap((r) => {
    const o = op(r);
    const name = `${r.method} ${r.path}`;
    return [
      ...(o.requestBody ? [...nodes(o.requestBody.content['application/json'].schema, `${name} body`)] : []),
      ...(o.parameters ?? []).flatMap((p: Json) => [...nodes(p.schema, `${name} ${p.in}.${p.name}`)]),
    ];
  });

  it('finds the request schemas', () => {
    // Assess: the walk above is the Act, shared with the next test.
    expect(inputs.length).toBeGreaterThan(100);
  });

  it('bounds every request string, array and integer', () => {
    // Act
    const unbounded = inputs.flatMap(([path, n]) => {
      const types = [n.type].flat();
      const bad: string[] = [];
      if (types.includes('string') && n.maxLength === undefined && !n.enum && n.const === undefined)
        bad.push(`${path}: string without maxLength`);
      if (types.includes('array') && n.maxItems === undefined) bad.push(`${path}: array without maxItems`);
      if (types.includes('integer')) {
        if (!['int32', 'int64'].includes(n.format)) bad.push(`${path}: integer without format`);
        if (n.maximum === undefined || (n.minimum ?? n.exclusiveMinimum) === undefined)
          bad.push(`${path}: integer without range`);
      }
      return bad;
    });

    // Assess
    expect(unbounded).toEqual([]);
  });

  it('keeps the limits the API promises', () => {
    // Act
    const create = doc.components.schemas.CreateTokenRequest.properties;
    const app = doc.components.schemas.CreateOAuthAppRequest.properties;

    // Assess
    expect(create.access_token.maxLength).toBe(16_384);
    expect(create.key.maxLength).toBe(256);
    expect(create.provider.maxLength).toBe(64);
    expect(create.scopes.maxItems).toBe(200);
    expect(create.expires_in).toMatchObject({ format: 'int32', maximum: 10 * 365 * 86_400 });
    expect(create.metadata.maxProperties).toBe(50);
    expect(app.redirect_urls).toMatchObject({ maxItems: 20, items: { maxLength: 2048 } });
  });
});

describe('Spectral lint (spectral:oas + OWASP API security)', () => {
  const run = promisify(execFile);
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vault-oas-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Lints a document with the repo's ruleset; returns Spectral's findings. */
  async function lint(document: Json): Promise<{ code: string; severity: number; path: string[] }[]> {
    const file = join(dir, `doc-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(file, JSON.stringify(document));
    const args = ['lint', file, '-r', '.spectral.yaml', '-f', 'json', '--quiet', '--fail-severity', 'error'];
    const cwd = fileURLToPath(new URL('../../../', import.meta.url));
    const bin = join(cwd, 'node_modules/.bin/spectral');
    const out = await run(bin, args, { cwd, maxBuffer: 64 * 1024 * 1024 }).catch(
      (e: { stdout?: string; stderr?: string }) => {
        if (!e.stdout?.trim().startsWith('[')) throw new Error(`spectral failed: ${e.stderr}`);
        return { stdout: e.stdout };
      },
    );
    return JSON.parse(out.stdout);
  }

  it('finds no errors in the document', async () => {
    // Act
    const errors = (await lint(doc)).filter((d) => d.severity === 0);

    // Assess
    expect(errors.map((e) => `${e.code} at ${e.path.join('.')}`)).toEqual([]);
  }, 120_000);

  it('would catch an unbounded string, an undocumented limit header and a missing 429', async () => {
    // Prepare
    const broken = structuredClone(doc);
    broken.components.schemas.CreateTokenRequest.properties.key = { type: 'string' };
    delete broken.paths['/v1/tokens'].get.responses['200'].headers['RateLimit-Limit'];
    delete broken.paths['/v1/tokens'].get.responses['429'].headers['Retry-After'];
    delete broken.paths['/v1/providers'].get.responses['429'];

    // Act
    const findings = await lint(broken);

    // Assess
    const codes = findings.filter((d) => d.severity === 0).map((d) => d.code);
    expect(codes).toEqual(
      expect.arrayContaining([
        'owasp:api4:2023-string-limit',
        'owasp:api4:2023-rate-limit',
        'owasp:api4:2023-rate-limit-retry-after',
      ]),
    );
    const warnings = findings.filter((d) => d.code === 'owasp:api4:2023-rate-limit-responses-429');
    expect(warnings.map((w) => w.path.join('/'))).toContain('paths//v1/providers/get/responses');
  }, 120_000);
});
