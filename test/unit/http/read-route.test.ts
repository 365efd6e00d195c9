import { describe, expect, it } from 'vitest';
import { tokenRoutes } from '../../../functions/tokens/routes.js';
import { readRoute } from '../../../lib/http/read-route.js';
import { ok } from '../../../lib/http/responses.js';

// readRoute() builds a read's handler without the idempotency middleware; a write must keep it.

describe('readRoute', () => {
  it('refuses a route that takes an Idempotency-Key (an authenticated write)', () => {
    // Act
    const build = () => readRoute(tokenRoutes.createToken, async () => ok({}) as never);

    // Assess
    expect(build).toThrow(/use route\(\)/);
  });

  it('builds a GET route', () => {
    // Act
    const handler = readRoute(tokenRoutes.getToken, async () => ok({}) as never);

    // Assess
    expect(typeof handler).toBe('function');
  });
});
