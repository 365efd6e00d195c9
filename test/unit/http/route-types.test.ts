import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { defineRoute, none } from '../../../functions/defs.js';
import { created, noContent, ok } from '../../../lib/http/responses.js';
import { route } from '../../../lib/http/route.js';

// A route's definition ties its handler's success status and body type at compile time: the
// `@ts-expect-error` lines fail `npm run typecheck` the day a mismatch compiles again.

const getThing = defineRoute({
  id: 'GetThing',
  method: 'GET',
  path: '/things',
  entry: 'functions/things/get.ts',
  summary: 'A thing',
  tag: 'things',
  scope: null,
  access: none,
  responses: { 200: { description: 'The thing', schema: z.object({ name: z.string(), size: z.number() }) } },
});

const event = {
  version: '2.0',
  routeKey: 'GET /things',
  rawPath: '/things',
  rawQueryString: '',
  headers: {},
  requestContext: {
    http: { method: 'GET', path: '/things', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 't' },
    requestId: 'r1',
  },
  isBase64Encoded: false,
} as unknown as APIGatewayProxyEventV2;
const context = {
  functionName: 'f',
  awsRequestId: 'r1',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

describe('route() types', () => {
  it('accepts the declared status with a body of its schema, and serves it', async () => {
    // Prepare
    const handler = route(getThing, async () => ok({ name: 'a', size: 1 }));

    // Act
    const res = await handler(event, context);

    // Assess
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body ?? '')).toEqual({ name: 'a', size: 1 });
  });

  it('rejects a body that does not match the schema, and a status the route does not declare', () => {
    // Act: each mismatch is a compile error, checked by `npm run typecheck`.
    const handlers = [
      // @ts-expect-error size is a number in the route's schema
      route(getThing, async () => ok({ name: 'a', size: '1' })),
      // @ts-expect-error a field of the schema is missing
      route(getThing, async () => ok({ name: 'a' })),
      // @ts-expect-error 201 is not a status this route declares
      route(getThing, async () => created({ name: 'a', size: 1 })),
      // @ts-expect-error 204 neither
      route(getThing, async () => noContent()),
    ];

    // Assess
    expect(handlers).toHaveLength(4);
  });
});
