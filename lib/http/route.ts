import { idempotency } from './idempotency.js';
import { takesIdempotencyKey } from './idempotency-key.js';
import { buildRoute, type Handler, type HandlerArgs, type RouteOptions } from './route-chain.js';
import type { RouteDef, SuccessOf } from './types.js';

export type { HandlerArgs, RouteOptions } from './route-chain.js';

/**
 * A route's Lambda handler (lib/http/route-chain.ts), with `Idempotency-Key` on every
 * authenticated write. Reads may use readRoute() (lib/http/read-route.ts), which leaves the
 * idempotency code out of their bundles.
 */
export function route<D extends RouteDef>(
  def: D,
  fn: (args: HandlerArgs<D>) => Promise<SuccessOf<D>>,
  options: RouteOptions = {},
): Handler {
  return buildRoute(def, fn, options, takesIdempotencyKey(def) ? idempotency() : undefined);
}
