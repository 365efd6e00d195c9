import type middy from '@middy/core';
import { config } from '../config.js';
import type { VaultEvent } from './middleware.js';
import type { HttpResult, RouteDef } from './types.js';

const noop = () => undefined;

/**
 * Plan enforcement and call counting on authenticated routes, after auth. With billing off it is
 * an empty middleware: nothing loaded, nothing read.
 */
export function billing(def: RouteDef): middy.MiddlewareObj<VaultEvent, HttpResult> {
  // middy wants at least one phase: a no-op one.
  if (config.BILLING !== 'stripe' || def.scope === null) return { before: noop };
  const opts = { write: def.method !== 'GET', exempt: def.tag === 'billing' };
  let state: Promise<typeof import('../billing/state.js')> | undefined;
  return {
    before: async (request) => {
      const auth = request.event.vault?.auth;
      if (!auth) return;
      state ??= import('../billing/state.js');
      const { enforceCall } = await state;
      await enforceCall(auth.tenantId, opts);
    },
  };
}
