import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { HttpError, ValidationError } from '../../../lib/errors.js';
import { jsonBody, MAX_BODY_BYTES, toFieldErrors, validate } from '../../../lib/http/middleware.js';

// Validation errors as a client sees them: which status, and for a schema mismatch (422) one entry
// per problem, with a dotted path into body, query or params and a message.

const body = z.strictObject({
  name: z.string().min(1),
  n: z.number().int().max(10),
  tags: z.array(z.strictObject({ k: z.string() })).optional(),
  url: z.url().optional(),
});
const query = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).optional() });
const params = z.strictObject({ id: z.string().startsWith('tok_', { message: 'Not a token id.' }) });
const def = { body, query, params } as unknown as Parameters<typeof validate>[0];

/** Runs a middleware's `before` on an event; returns the event, or the error it threw. */
async function run(mw: { before?: (r: never) => unknown }, event: Record<string, unknown>) {
  try {
    await mw.before?.({ event } as never);
    return { event, error: undefined };
  } catch (error) {
    return { event, error: error as HttpError };
  }
}

const problemOf = (error: unknown) => {
  expect(error).toBeInstanceOf(HttpError);
  return (error as HttpError).toProblem();
};

describe('toFieldErrors', () => {
  it('prefixes the path with where the value came from, joining nested keys and indexes with dots', () => {
    // Prepare
    const result = body.safeParse({ name: 'a', n: 1, tags: [{ k: 'x' }, { k: 2 }] });

    // Act
    const errors = toFieldErrors('body', result.error as z.ZodError);

    // Assess
    expect(errors).toEqual([
      { path: 'body.tags.1.k', message: 'Invalid input: expected string, received number' },
    ]);
  });

  it('names each unknown key on its own, at its own path', () => {
    // Prepare
    const result = body.safeParse({ name: 'a', n: 1, extra: 1, other: 2, tags: [{ k: 'x', deep: true }] });

    // Act
    const errors = toFieldErrors('body', result.error as z.ZodError);

    // Assess
    expect(errors).toEqual([
      { path: 'body.tags.0.deep', message: 'Unknown field.' },
      { path: 'body.extra', message: 'Unknown field.' },
      { path: 'body.other', message: 'Unknown field.' },
    ]);
  });

  it('a problem with the whole value has the bare location as its path', () => {
    // Prepare
    const result = body.safeParse('a string');

    // Act
    const errors = toFieldErrors('body', result.error as z.ZodError);

    // Assess
    expect(errors).toEqual([{ path: 'body', message: 'Invalid input: expected object, received string' }]);
  });

  it("keeps a schema's own message", () => {
    // Prepare
    const result = params.safeParse({ id: 'abc' });

    // Act
    const errors = toFieldErrors('params', result.error as z.ZodError);

    // Assess
    expect(errors).toEqual([{ path: 'params.id', message: 'Not a token id.' }]);
  });
});

describe('validate', () => {
  it('answers 422 with every problem of params, query and body at once, in that order', async () => {
    // Prepare
    const event = {
      pathParameters: { id: 'abc' },
      queryStringParameters: { limit: '0' },
      vault: { rawBody: { n: 11, url: 'nope', extra: true } },
    };

    // Act
    const { error } = await run(validate(def), event);

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(problemOf(error)).toEqual({
      type: 'about:blank',
      title: 'Unprocessable Content',
      status: 422,
      detail: 'The request does not match the schema.',
      errors: [
        { path: 'params.id', message: 'Not a token id.' },
        { path: 'query.limit', message: 'Too small: expected number to be >=1' },
        { path: 'body.name', message: 'Invalid input: expected string, received undefined' },
        { path: 'body.n', message: 'Too big: expected number to be <=10' },
        { path: 'body.url', message: 'Invalid URL' },
        { path: 'body.extra', message: 'Unknown field.' },
      ],
    });
  });

  it('a missing query string or path parameters count as empty objects', async () => {
    // Prepare
    const event = { vault: { rawBody: { name: 'a', n: 1 } } };

    // Act
    const { error } = await run(validate(def), event);

    // Assess
    expect(problemOf(error).errors).toEqual([
      { path: 'params.id', message: 'Invalid input: expected string, received undefined' },
    ]);
  });

  it('at the boundary values passes, and hands on the parsed (coerced) values', async () => {
    // Prepare
    const event = {
      pathParameters: { id: 'tok_1' },
      queryStringParameters: { limit: '100' },
      vault: { rawBody: { name: 'a', n: 10 } } as Record<string, unknown>,
    };

    // Act
    const { error } = await run(validate(def), event);

    // Assess
    expect(error).toBeUndefined();
    expect(event.vault).toMatchObject({
      params: { id: 'tok_1' },
      query: { limit: 100 },
      body: { name: 'a', n: 10 },
    });
  });

  it('a route without schemas checks nothing', async () => {
    // Prepare
    const event = { pathParameters: { anything: 'x' }, vault: { rawBody: 'whatever' } };

    // Act
    const { error } = await run(validate({} as Parameters<typeof validate>[0]), event);

    // Assess
    expect(error).toBeUndefined();
  });
});

describe('jsonBody: the errors before any schema', () => {
  const json = { 'content-type': 'application/json' };

  it.each([
    ['an empty body', { headers: json, body: '  ' }, 400, 'A JSON body is required.'],
    ['no body at all', { headers: json }, 400, 'A JSON body is required.'],
    ['broken JSON', { headers: json, body: '{"a":' }, 400, 'The body is not valid JSON.'],
    [
      'another media type',
      { headers: { 'content-type': 'text/plain' }, body: '{}' },
      415,
      'Send the body as application/json.',
    ],
    ['no media type', { headers: {}, body: '{}' }, 415, 'Send the body as application/json.'],
    [
      'one byte over the limit',
      { headers: json, body: `"${'a'.repeat(MAX_BODY_BYTES - 1)}"` },
      413,
      `The body exceeds ${MAX_BODY_BYTES} bytes.`,
    ],
  ])('%s → %i', async (_label, event, status, detail) => {
    // Act
    const { error } = await run(jsonBody(true), { ...event });

    // Assess
    expect(problemOf(error)).toMatchObject({ status, detail });
  });

  it.each([['application/json; charset=utf-8'], ['application/merge-patch+json'], ['APPLICATION/JSON']])(
    'accepts %s, and a body of exactly the limit',
    async (type) => {
      // Prepare
      const raw = `"${'a'.repeat(MAX_BODY_BYTES - 2)}"`;

      // Act
      const { event, error } = await run(jsonBody(true), { headers: { 'content-type': type }, body: raw });

      // Assess
      expect(error).toBeUndefined();
      expect((event.vault as { rawBody: string }).rawBody).toHaveLength(MAX_BODY_BYTES - 2);
    },
  );

  it('a route without a body still refuses an oversized one (413), and ignores a small one', async () => {
    // Prepare
    const big = { body: 'x'.repeat(MAX_BODY_BYTES + 1) };
    const small = { body: 'not json at all' };

    // Act
    const tooBig = await run(jsonBody(false), big);
    const ignored = await run(jsonBody(false), small);

    // Assess
    expect(problemOf(tooBig.error).status).toBe(413);
    expect(ignored.error).toBeUndefined();
  });
});
