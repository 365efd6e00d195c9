import { takesIdempotencyKey } from './idempotency-key.js';
import { buildRoute, type Handler, type HandlerArgs, type RouteOptions } from './route-chain.js';
import type { RouteDef, SuccessOf } from './types.js';

/**
 * route() for a route that takes no `Idempotency-Key` (a read): the same chain, without importing
 * the idempotency middleware, so that a read function's bundle does not carry it. Refuses a route
 * that takes one, so no write can lose its idempotency by using this.
 */
export function readRoute<D extends RouteDef>(
  def: D,
  fn: (args: HandlerArgs<D>) => Promise<SuccessOf<D>>,
  options: RouteOptions = {},
): Handler {
  if (takesIdempotencyKey(def))
    throw new Error(`${def.method} ${def.path} takes an Idempotency-Key: use route()`);
  return buildRoute(def, fn, options, undefined);
}
