import { auditCompanion } from '../audit/service.js';
import type { AuditAction, AuditContext, AuditTarget } from '../audit/types.js';
import { tokenDeleteItems, tokenInsertGuard } from '../billing/quota.js';
import { config } from '../config.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { dispatchSoon, newEvent } from '../events/outbox.js';
import type { VaultEventRecord } from '../events/types.js';
import { newId } from '../ids.js';
import { dataKeys } from '../keyring/index.js';
import type { Companion } from '../store/db.js';
import { eventCompanion } from '../store/events.js';
import type { TokenRecord } from '../store/tokens.js';
import * as store from '../store/tokens.js';
import type { CreateTokenInput, TokenView, TokenWithSecrets, UpdateTokenInput } from './schemas.js';

// Token storage: the secret fields are sealed per tenant, per record and per field.

const sealRef = (t: Pick<TokenRecord, 'tenant_id' | 'id'>, field: 'access_token' | 'refresh_token') => ({
  tenantId: t.tenant_id,
  record: `token#${t.id}`,
  field,
});

export const sealAccess = (t: TokenRecord, plaintext: string) =>
  dataKeys.encrypt(sealRef(t, 'access_token'), plaintext);
export const sealRefresh = (t: TokenRecord, plaintext: string) =>
  dataKeys.encrypt(sealRef(t, 'refresh_token'), plaintext);

export function expiryFrom(
  input: { expires_in?: number; expires_at?: string | null },
  now: number,
): string | null {
  if (input.expires_in !== undefined) return new Date(now + input.expires_in * 1000).toISOString();
  if (input.expires_at) return new Date(input.expires_at).toISOString();
  return null;
}

/** When the scheduled job should refresh: a margin before expiry, for tokens that can be refreshed. */
export function refreshDueAt(
  t: Pick<TokenRecord, 'expires_at' | 'refresh_token_enc' | 'status'>,
): string | null {
  if (!t.expires_at || !t.refresh_token_enc || t.status === 'needs_reauth') return null;
  return new Date(Date.parse(t.expires_at) - config.REFRESH_MARGIN_SECONDS * 1000).toISOString();
}

/** What a token's audit events name: its id, provider and key (never a secret). */
export const tokenTarget = (t: Pick<TokenRecord, 'id' | 'provider' | 'key'>): AuditTarget => ({
  type: 'token',
  id: t.id,
  provider: t.provider,
  key: t.key,
});

/** The audit event of a token change, committed with it. */
export const tokenAudit =
  (ctx: AuditContext, action: AuditAction) =>
  (t: TokenRecord): Companion[] => [auditCompanion(t.tenant_id, ctx, action, tokenTarget(t))];

export function toTokenView(t: TokenRecord): TokenView {
  return {
    id: t.id,
    provider: t.provider,
    key: t.key,
    token_type: t.token_type,
    scopes: t.scopes,
    metadata: t.metadata as TokenView['metadata'],
    expires_at: t.expires_at,
    has_refresh_token: t.refresh_token_enc !== null,
    status: t.status,
    last_refreshed_at: t.last_refreshed_at,
    last_error: t.last_error,
    created_at: t.created_at,
    updated_at: t.updated_at,
  };
}

export async function withSecrets(t: TokenRecord): Promise<TokenWithSecrets> {
  const [access, refresh] = await Promise.all([
    dataKeys.decrypt(sealRef(t, 'access_token'), t.access_token_enc),
    t.refresh_token_enc ? dataKeys.decrypt(sealRef(t, 'refresh_token'), t.refresh_token_enc) : null,
  ]);
  return { ...toTokenView(t), access_token: access, refresh_token: refresh };
}

export async function createToken(
  tenantId: string,
  input: CreateTokenInput,
  ctx: AuditContext,
  extra: {
    url_params?: Record<string, string>;
    events?: (t: TokenRecord) => VaultEventRecord[];
    also?: Companion[];
  } = {},
): Promise<TokenRecord> {
  const now = Date.now();
  const at = new Date(now).toISOString();
  const t: TokenRecord = {
    id: newId('tok'),
    tenant_id: tenantId,
    provider: input.provider,
    key: input.key,
    token_type: input.token_type,
    scopes: input.scopes,
    metadata: input.metadata,
    access_token_enc: '',
    refresh_token_enc: null,
    expires_at: expiryFrom(input, now),
    status: 'active',
    last_refreshed_at: null,
    last_error: null,
    refresh_failures: 0,
    refresh_due_at: null,
    created_at: at,
    updated_at: at,
    url_params: extra.url_params ?? {},
    version: 1,
  };
  t.access_token_enc = await sealAccess(t, input.access_token);
  if (input.refresh_token) t.refresh_token_enc = await sealRefresh(t, input.refresh_token);
  t.refresh_due_at = refreshDueAt(t);
  const events = [
    newEvent(tenantId, 'token.created', { token: toTokenView(t) }),
    ...(extra.events?.(t) ?? []),
  ];
  await store.insertToken(t, [
    ...(extra.also ?? []),
    ...tokenAudit(ctx, 'token.create')(t),
    ...events.map(eventCompanion),
    ...(await tokenInsertGuard(tenantId)),
  ]);
  await dispatchSoon(events);
  return t;
}

export interface ConnectedToken {
  provider: string;
  key: string;
  access_token: string;
  refresh_token?: string;
  expires_in?: number;
  /** Instead of expires_in, for a token obtained earlier (a connection confirmed later). */
  expires_at?: string;
  token_type: string;
  scopes: string[];
  url_params: Record<string, string>;
}

/**
 * Stores a token from the connect flow under (provider, key), creating it or replacing the old one.
 * The `also` writes (using up a connect code) commit with it or the token is not stored.
 */
export async function saveConnectedToken(
  tenantId: string,
  c: ConnectedToken,
  ctx: AuditContext,
  also: Companion[] = [],
): Promise<TokenRecord> {
  const connected = (t: TokenRecord) => [newEvent(tenantId, 'connection.created', { token: toTokenView(t) })];
  for (let attempt = 0; ; attempt++) {
    const existing = await store.findTokenId(tenantId, c.provider, c.key);
    try {
      if (!existing) {
        const { url_params, ...input } = c;
        return await createToken(tenantId, { ...input, metadata: {} }, ctx, {
          url_params,
          events: connected,
          also,
        });
      }
      return await modifyToken(
        tenantId,
        existing,
        async (t) => {
          t.access_token_enc = await sealAccess(t, c.access_token);
          // A provider that sends no new refresh token on re-consent keeps the old one valid.
          if (c.refresh_token) t.refresh_token_enc = await sealRefresh(t, c.refresh_token);
          t.expires_at = expiryFrom(c, Date.now());
          t.token_type = c.token_type;
          t.scopes = c.scopes;
          t.url_params = c.url_params;
          t.status = 'active';
          t.last_error = null;
          t.refresh_failures = 0;
          t.refresh_due_at = refreshDueAt(t);
          return t;
        },
        (t) => [newEvent(tenantId, 'token.updated', { token: toTokenView(t) }), ...connected(t)],
        (t) => [...also, ...tokenAudit(ctx, 'token.update')(t)],
      );
    } catch (err) {
      // Lost a race with another connect or a delete of the same (provider, key): look again.
      if (!(err instanceof ConflictError || err instanceof NotFoundError) || attempt >= 2) throw err;
    }
  }
}

/**
 * Applies `change` to the current record and writes it if nobody wrote in between; re-reads and
 * re-applies on a concurrent write, a few times.
 */
export async function modifyToken(
  tenantId: string,
  id: string,
  change: (t: TokenRecord) => Promise<TokenRecord> | TokenRecord,
  events: (t: TokenRecord) => VaultEventRecord[] = () => [],
  /** Writes committed with the change (its audit event, made from the new record). */
  also: (t: TokenRecord) => Companion[] = () => [],
): Promise<TokenRecord> {
  for (let attempt = 0; ; attempt++) {
    const current = await store.mustGetToken(tenantId, id, true);
    const next = await change(structuredClone(current));
    next.version = current.version + 1;
    next.updated_at = new Date().toISOString();
    const emitted = events(next);
    try {
      await store.replaceToken(next, current.version, [...also(next), ...emitted.map(eventCompanion)]);
      await dispatchSoon(emitted);
      return next;
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt >= 4) throw err;
    }
  }
}

export async function updateToken(
  tenantId: string,
  id: string,
  input: UpdateTokenInput,
  ctx: AuditContext,
): Promise<TokenRecord> {
  return modifyToken(
    tenantId,
    id,
    async (t) => {
      if (input.access_token !== undefined) t.access_token_enc = await sealAccess(t, input.access_token);
      if (input.refresh_token !== undefined) {
        t.refresh_token_enc = input.refresh_token === null ? null : await sealRefresh(t, input.refresh_token);
      }
      if (input.expires_in !== undefined || input.expires_at !== undefined)
        t.expires_at = expiryFrom(input, Date.now());
      if (input.token_type !== undefined) t.token_type = input.token_type;
      if (input.scopes !== undefined) t.scopes = input.scopes;
      if (input.metadata !== undefined) t.metadata = input.metadata;
      // New credentials from the app mean the token works again.
      if (input.access_token !== undefined || input.refresh_token) {
        t.status = 'active';
        t.last_error = null;
        t.refresh_failures = 0;
      }
      t.refresh_due_at = refreshDueAt(t);
      return t;
    },
    (t) => [newEvent(tenantId, 'token.updated', { token: toTokenView(t) })],
    tokenAudit(ctx, 'token.update'),
  );
}

export async function deleteToken(tenantId: string, id: string, ctx: AuditContext): Promise<TokenRecord> {
  const t = await store.mustGetToken(tenantId, id, true);
  const event = newEvent(tenantId, 'token.deleted', { token: toTokenView(t) });
  await store.deleteToken(t, [
    eventCompanion(event),
    ...tokenAudit(ctx, 'token.delete')(t),
    ...(await tokenDeleteItems(tenantId)),
  ]);
  await dispatchSoon([event]);
  return t;
}

export const listTokens = store.listTokens;
