import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeList } from '../../functions/routes.js';
import { buildOpenApi } from '../../lib/http/openapi.js';
import { type Api, type ApiResponse, startApi } from '../helpers/api.js';

// Request limits over HTTP: what the OpenAPI document promises is what validation enforces, at
// the limit accepted, one past it 422 naming the field.

let api: Api;
let key: string;
beforeAll(async () => {
  api = await startApi();
  ({ key } = await api.register());
});
afterAll(async () => {
  await api.close();
});

// biome-ignore lint/suspicious/noExplicitAny: the generated document
const doc: any = buildOpenApi(routeList, { title: 't', version: '0' });
const createToken = doc.components.schemas.CreateTokenRequest.properties;

const rand = () => Math.random().toString(36).slice(2);
const token = (over: Record<string, unknown> = {}) => ({
  provider: 'google',
  key: `user-${rand()}`,
  access_token: `ya29.${rand()}`,
  ...over,
});
const post = (body: unknown) => api.call('POST', '/v1/tokens', { key, body });

/** Asserts a 422 problem that names `path` (or a field under it). */
function expect422(res: ApiResponse, path: string) {
  expect(res.status, res.text).toBe(422);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const paths: string[] = res.body.errors.map((e: { path: string }) => e.path);
  expect(
    paths.some((p) => p === path || p.startsWith(`${path}.`)),
    paths.join(', '),
  ).toBe(true);
}

describe("strings: the document's maxLength is the runtime's", () => {
  // Free-text fields (no pattern or format to satisfy), taken from the document itself.
  const fields = Object.entries<{ type?: string; maxLength?: number; pattern?: string; format?: string }>(
    createToken,
  )
    .filter(([, s]) => s.type === 'string' && s.maxLength && !s.pattern && !s.format)
    .map(([name, s]) => [name, s.maxLength as number] as const);

  it('covers the token fields', () => {
    // Assess: the fields above, read from the document.
    expect(fields.map(([n]) => n).sort()).toEqual(['access_token', 'key', 'refresh_token', 'token_type']);
    expect(Object.fromEntries(fields)).toMatchObject({ access_token: 16_384, key: 256 });
  });

  it.each(fields)('%s: maxLength (%i) accepted, one more is 422', async (name, max) => {
    // Act
    const at = await post(token({ [name]: 'a'.repeat(max - 4) + rand().slice(0, 4).padEnd(4, 'x') }));
    const over = await post(token({ [name]: 'a'.repeat(max + 1) }));

    // Assess
    expect(at.status, at.text).toBe(201);
    expect422(over, `body.${name}`);
  });

  it('a provider id over 64 characters is 422', async () => {
    // Act
    const res = await post(token({ provider: 'a'.repeat(65) }));

    // Assess
    expect422(res, 'body.provider');
  });

  it('a path id over 64 characters is 422, not a lookup', async () => {
    // Act
    const over = await api.call('GET', `/v1/tokens/tok_${'0'.repeat(61)}`, { key });
    const at = await api.call('GET', `/v1/tokens/tok_${'0'.repeat(60)}`, { key });

    // Assess
    expect422(over, 'params.id');
    expect(at.status).toBe(404);
  });

  it('a metadata string over 1024 characters is 422', async () => {
    // Act
    const over = await post(token({ metadata: { note: 'n'.repeat(1025) } }));
    const at = await post(token({ metadata: { note: 'n'.repeat(1024) } }));

    // Assess
    expect422(over, 'body.metadata');
    expect(at.status).toBe(201);
  });
});

describe('arrays and objects', () => {
  it(`scopes: ${createToken.scopes.maxItems} accepted, one more is 422`, async () => {
    // Prepare
    const max = createToken.scopes.maxItems;
    const scopes = (n: number) => Array.from({ length: n }, (_, i) => `scope.${i}`);

    // Act
    const at = await post(token({ scopes: scopes(max) }));
    const over = await post(token({ scopes: scopes(max + 1) }));

    // Assess
    expect(at.status).toBe(201);
    expect422(over, 'body.scopes');
  });

  it('metadata: 50 keys and three levels accepted; 51 keys or a fourth level is 422', async () => {
    // Prepare
    const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));

    // Act
    const ok = await post(token({ metadata: { ...keys(49), deep: { a: [{ b: 1 }] } } }));
    const tooMany = await post(token({ metadata: keys(51) }));
    const tooDeep = await post(token({ metadata: { deep: { a: [{ b: [1] }] } } }));

    // Assess
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body.metadata.deep).toEqual({ a: [{ b: 1 }] });
    expect422(tooMany, 'body.metadata');
    expect422(tooDeep, 'body.metadata');
  });

  it('redirect_urls over 20 is 422', async () => {
    // Prepare
    const body = {
      provider: 'google',
      client_id: 'id',
      client_secret: 'secret',
      redirect_urls: Array.from({ length: 21 }, (_, i) => `https://app.example.com/r${i}`),
    };

    // Act
    const res = await api.call('POST', '/v1/oauth-apps', { key, body });

    // Assess
    expect422(res, 'body.redirect_urls');
  });

  it('url_params over 10 entries is 422', async () => {
    // Prepare
    const body = {
      provider: 'shopify',
      key: 'user-1',
      redirect_url: 'https://app.example.com/back',
      url_params: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`p_${'x'.repeat(i)}`, 'v'])),
    };

    // Act
    const res = await api.call('POST', '/v1/connect/sessions', { key, body });

    // Assess
    expect422(res, 'body.url_params');
  });
});

describe('integers', () => {
  const max = createToken.expires_in.maximum as number;

  it('expires_in is an int32 with a range', () => {
    // Assess: the document's schema, read above.
    expect(createToken.expires_in).toMatchObject({ type: 'integer', format: 'int32', exclusiveMinimum: 0 });
    expect(max).toBeLessThan(2 ** 31);
  });

  it.each([
    ['one past the maximum', max + 1],
    ['zero', 0],
    ['a fraction', 1.5],
    ['1e300', 1e300],
  ])('expires_in %s is 422', async (_label, value) => {
    // Act
    const res = await post(token({ expires_in: value }));

    // Assess
    expect422(res, 'body.expires_in');
  });

  it('expires_in at the maximum is accepted', async () => {
    // Act
    const res = await post(token({ expires_in: max }));

    // Assess
    expect(res.status).toBe(201);
  });

  it.each(['0', '101', '1e3', '-1'])('limit=%s is 422', async (limit) => {
    // Act
    const res = await api.call('GET', `/v1/tokens?limit=${limit}`, { key });

    // Assess
    expect422(res, 'query.limit');
  });
});
