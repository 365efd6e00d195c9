import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { auditEvent, recordCrossTenant, recordDenied } from '../audit/service.js';
import type { AuditTarget } from '../audit/types.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import { logger } from '../observability.js';
import { requestAuditContext } from './audit-context.js';
import type { VaultEvent } from './middleware.js';
import { requestIdOf } from './request-id.js';
import type { HttpResult, RouteDef } from './types.js';

// Denied attempts on a route that declares what it does (`audit` on its RouteDef): a 403 for a
// missing scope, recorded for the caller's tenant; a 404 on an id, recorded for the tenant that
// owns it if that is another one (lib/audit/service.ts recordCrossTenant).

type Request = middy.Request<VaultEvent, HttpResult, Error, Context>;

const MAX_ID = 64;

export function auditTrail(def: RouteDef): middy.MiddlewareObj<VaultEvent, HttpResult> {
  const before = async (request: Request) => {
    request.event.vault ??= {};
    request.event.vault.requestId = requestIdOf(request);
  };
  const onError = async (request: Request) => {
    const audit = def.audit;
    const vault = request.event?.vault;
    if (!audit || !vault) return;
    const err = request.error;
    const target = (tenantId: string): AuditTarget => ({
      type: audit.target,
      id:
        audit.target === 'tenant'
          ? tenantId
          : String(request.event.pathParameters?.id ?? '').slice(0, MAX_ID),
    });
    try {
      if (err instanceof ForbiddenError && vault.caller && !vault.auth) {
        const caller = vault.caller;
        const ctx = requestAuditContext(request.event, caller);
        await recordDenied(caller.tenantId, auditEvent(ctx, audit.action, target(caller.tenantId), 'denied'));
      } else if (err instanceof NotFoundError && vault.auth && request.event.pathParameters?.id) {
        const auth = vault.auth;
        await recordCrossTenant(
          auth,
          requestAuditContext(request.event, auth),
          audit.action,
          target(auth.tenantId),
        );
      }
    } catch (e) {
      logger.warn('Could not audit a refused request', { error: (e as Error)?.name });
    }
  };
  return { before, onError };
}
