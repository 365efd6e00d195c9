import { ServiceUnavailableError } from '../errors.js';
import { newId } from '../ids.js';
import { logger } from '../observability.js';
import * as store from '../store/audit.js';
import type { Companion } from '../store/db.js';
import type { AuditAction, AuditContext, AuditEvent, AuditOutcome, AuditTarget } from './types.js';

// Recording and listing audit events. Secret reads fail closed: no record, no secret.

export function auditEvent(
  ctx: AuditContext,
  action: AuditAction,
  target: AuditTarget,
  outcome: AuditOutcome = 'success',
): AuditEvent {
  return {
    id: newId('aud'),
    time: new Date().toISOString(),
    action,
    actor: ctx.actor,
    target,
    outcome,
    ...rest(ctx),
  };
}

const rest = ({ request_id, source_ip, user_agent }: AuditContext) => ({ request_id, source_ip, user_agent });

const unaudited = (err: unknown) => {
  logger.error('Could not record an audit event', { error: (err as Error)?.name });
  return new ServiceUnavailableError('The request could not be recorded in the audit trail; retry.');
};

/**
 * Records `token.read` in parallel with `read`: one plain write, so the read waits for no more than
 * the slower of the two. A read that finds nothing takes its event back (a missing token leaves no
 * record); a failed write withholds the token (503).
 */
export async function auditedTokenRead<T>(
  tenantId: string,
  tokenId: string,
  ctx: AuditContext,
  read: () => Promise<T>,
): Promise<T> {
  const e = auditEvent(ctx, 'token.read', { type: 'token', id: tokenId });
  // Both settle before anything is returned or thrown: a 404 stays a 404, a failed record a 503.
  const [r, w] = await Promise.allSettled([read(), store.putAudit(tenantId, e)]);
  if (r.status === 'rejected') {
    if (w.status === 'fulfilled') {
      await store.deleteAudit(tenantId, e).catch((err) => {
        logger.warn('Could not take back an audit event', { error: (err as Error)?.name });
      });
    }
    throw r.reason;
  }
  if (w.status === 'rejected') throw unaudited(w.reason);
  return r.value;
}

/** Records `e` before a secret is returned; a failure withholds it (503). */
export async function recordOrRefuse(tenantId: string, e: AuditEvent): Promise<void> {
  try {
    await store.putAudit(tenantId, e);
  } catch (err) {
    throw unaudited(err);
  }
}

/** Records a refused attempt. Best effort: the caller gets its refusal either way. */
export async function recordDenied(tenantId: string, e: AuditEvent): Promise<void> {
  try {
    await store.putAudit(tenantId, e);
  } catch (err) {
    logger.warn('Could not record a denied attempt', { error: (err as Error)?.name });
  }
}

/**
 * After a 404 on an id: if another tenant owns it, records the attempt there, with the caller's
 * key. The same owner lookup runs for every id not found, and an id no other tenant owns waits as
 * long as a record takes to write (a running average), so a missing id and another tenant's answer
 * alike, in content and in time, without a write per missing id.
 */
export async function recordCrossTenant(
  // The caller's tenant (an AuthContext; typed by shape so lib/audit needs nothing from lib/auth).
  auth: { tenantId: string },
  ctx: AuditContext,
  action: AuditAction,
  target: AuditTarget,
): Promise<void> {
  let owner: string | null = null;
  try {
    owner = await store.ownerOf(target.type, target.id);
  } catch (err) {
    logger.warn('Could not look up an object owner', { error: (err as Error)?.name });
  }
  if (owner === null || owner === auth.tenantId) {
    await new Promise((r) => setTimeout(r, writeMs));
    return;
  }
  const started = performance.now();
  await recordDenied(owner, auditEvent(ctx, action, target, 'denied'));
  writeMs = writeMs * 0.8 + (performance.now() - started) * 0.2;
}

/** What recording a denied attempt takes, lately (ms): the wait of a 404 with nothing to record. */
let writeMs = 5;

export const listAuditEvents = store.listAudit;

/**
 * The event of a change, as a companion of the store write that makes it: both commit in one
 * transaction or neither does (fail closed). A retried write reuses the event: it never committed.
 */
export function auditCompanion(
  tenantId: string,
  ctx: AuditContext,
  action: AuditAction,
  target: AuditTarget,
  outcome: AuditOutcome = 'success',
): Companion {
  return { item: store.auditItem(tenantId, auditEvent(ctx, action, target, outcome)) };
}

/** The context of a job's own changes: no request, no caller. */
export const systemContext = (name: string): AuditContext => ({
  actor: { type: 'system', name },
  request_id: null,
  source_ip: null,
  user_agent: null,
});
