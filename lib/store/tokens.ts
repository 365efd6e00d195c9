import { tableName } from '../aws.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { type Companion, entity, getConsistent, queryPage, queryPages, write } from './db.js';
import { INDEXES, keys } from './keys.js';

export type TokenStatus = 'active' | 'needs_reauth' | 'refresh_failed';

export interface TokenRecord {
  id: string;
  tenant_id: string;
  provider: string;
  key: string;
  token_type: string;
  scopes: string[];
  metadata: Record<string, unknown>;
  /** Sealed (lib/crypto/envelope) — never plaintext. */
  access_token_enc: string;
  refresh_token_enc: string | null;
  expires_at: string | null;
  status: TokenStatus;
  last_refreshed_at: string | null;
  last_error: { code: string; message: string; at: string } | null;
  /** Consecutive transient refresh failures, for backoff. */
  refresh_failures: number;
  /** When the scheduled job should next refresh it; null: not scheduled. */
  refresh_due_at: string | null;
  created_at: string;
  updated_at: string;
  /** Values for the provider's URL placeholders (e.g. a Shopify shop), kept for refreshes. */
  url_params: Record<string, string>;
  /** Optimistic-concurrency counter, bumped on every write. */
  version: number;
}

// Every field reads as null when absent, but for these defaults.
const token = entity<TokenRecord>({
  id: null as never,
  tenant_id: null as never,
  provider: null as never,
  key: null as never,
  token_type: null as never,
  scopes: [],
  metadata: {},
  access_token_enc: null as never,
  refresh_token_enc: null,
  expires_at: null,
  status: null as never,
  last_refreshed_at: null,
  last_error: null,
  refresh_failures: 0,
  refresh_due_at: null,
  created_at: null as never,
  updated_at: null as never,
  url_params: {},
  version: 1,
});

function toItem(t: TokenRecord) {
  return {
    ...keys.token(t.tenant_id, t.id),
    ...keys.tokenOwner(t.tenant_id, t.provider, t.key),
    // Who owns this id, for auditing another tenant's attempt on it (lib/store/audit.ts).
    ...keys.ownerById('token', t.id, t.tenant_id),
    // Sparse index: only tokens with a due time are in the refresh schedule.
    ...(t.refresh_due_at ? keys.refreshDue(t.tenant_id, t.id, new Date(t.refresh_due_at)) : {}),
    type: 'token',
    ...t,
  };
}

export const fromItem = token.fromItem;

const claimItem = (t: TokenRecord) => ({
  ...keys.tokenClaim(t.tenant_id, t.provider, t.key),
  type: 'token_claim',
  token_id: t.id,
});

/** Inserts a token and its (provider, key) claim in one transaction; a taken claim is a 409. */
export async function insertToken(t: TokenRecord, also: Companion[] = []): Promise<void> {
  const r = await write(
    [
      { Put: { TableName: tableName, Item: toItem(t), ConditionExpression: 'attribute_not_exists(PK)' } },
      { Put: { TableName: tableName, Item: claimItem(t), ConditionExpression: 'attribute_not_exists(PK)' } },
    ],
    also,
  );
  if (!r.ok) {
    throw new ConflictError(`A token for provider '${t.provider}' and key '${t.key}' already exists.`);
  }
}

export async function getToken(
  tenantId: string,
  id: string,
  consistent = false,
): Promise<TokenRecord | null> {
  const item = await getConsistent(keys.token(tenantId, id), consistent);
  return item ? fromItem(item) : null;
}

export async function mustGetToken(tenantId: string, id: string, consistent = false): Promise<TokenRecord> {
  const t = await getToken(tenantId, id, consistent);
  if (!t) throw new NotFoundError('Token not found.');
  return t;
}

/** The token id holding a tenant's (provider, key), if any. */
export async function findTokenId(tenantId: string, provider: string, key: string): Promise<string | null> {
  const item = await getConsistent(keys.tokenClaim(tenantId, provider, key));
  return (item?.token_id as string | undefined) ?? null;
}

/**
 * Replaces a token if its version is still `expectedVersion` (optimistic concurrency). Throws
 * NotFoundError if it is gone, and ConflictError if someone else wrote it in between.
 */
export async function replaceToken(
  t: TokenRecord,
  expectedVersion: number,
  also: Companion[] = [],
): Promise<void> {
  const r = await write(
    [
      {
        Put: {
          TableName: tableName,
          Item: toItem(t),
          ConditionExpression: 'attribute_exists(PK) AND version = :v',
          ExpressionAttributeValues: { ':v': expectedVersion },
        },
      },
    ],
    also,
  );
  if (r.ok) return;
  if (!(await getToken(t.tenant_id, t.id, true))) throw new NotFoundError('Token not found.');
  throw new ConflictError('The token was changed concurrently; retry.');
}

/** Deletes a token and its (provider, key) claim in one transaction. */
export async function deleteToken(t: TokenRecord, also: Companion[] = []): Promise<void> {
  const r = await write(
    [
      {
        Delete: {
          TableName: tableName,
          Key: keys.token(t.tenant_id, t.id),
          ConditionExpression: 'attribute_exists(PK)',
        },
      },
      {
        Delete: {
          TableName: tableName,
          Key: keys.tokenClaim(t.tenant_id, t.provider, t.key),
          ConditionExpression: 'token_id = :id',
          ExpressionAttributeValues: { ':id': t.id },
        },
      },
    ],
    also,
  );
  if (!r.ok) throw new NotFoundError('Token not found.');
}

export interface TokenFilter {
  provider?: string;
  key?: string;
}

/** A page of a tenant's tokens: by provider (and key) on GSI1, else the tenant's partition. */
export function listTokens(tenantId: string, filter: TokenFilter, limit: number, cursor?: string) {
  if (filter.provider !== undefined) {
    const k = keys.tokensByProvider(tenantId, filter.provider, filter.key);
    return queryPage(
      tenantId,
      {
        index: INDEXES.byOwner,
        keyCondition: k.exact ? 'GSI1PK = :pk AND GSI1SK = :sk' : 'GSI1PK = :pk AND begins_with(GSI1SK, :sk)',
        values: { ':pk': k.GSI1PK, ':sk': k.GSI1SK },
        partition: { name: 'GSI1PK', value: k.GSI1PK },
      },
      { limit, cursor },
      fromItem,
    );
  }
  const k = keys.tokensOf(tenantId);
  return queryPage(
    tenantId,
    {
      keyCondition: 'PK = :pk AND begins_with(SK, :sk)',
      // A key across providers: a filter within the tenant's own partition (never a Scan).
      ...(filter.key !== undefined ? { filter: '#key = :key', names: { '#key': 'key' } } : {}),
      values: { ':pk': k.PK, ':sk': k.SKPrefix, ...(filter.key !== undefined ? { ':key': filter.key } : {}) },
      partition: { name: 'PK', value: k.PK, skPrefix: k.SKPrefix },
    },
    { limit, cursor },
    fromItem,
  );
}

/** A token the refresh schedule holds as due, with its due key. */
export interface DueToken {
  tenantId: string;
  tokenId: string;
  due: string;
}

/**
 * One shard of the refresh schedule (sparse GSI2): the tokens due by `now`, oldest first, at most
 * `max`, reading on while `more()` (the caller's time budget) allows.
 */
export async function dueTokens(
  shard: number,
  now: Date,
  max: number,
  more: () => boolean,
): Promise<DueToken[]> {
  const entries: DueToken[] = [];
  const pages = queryPages(
    {
      index: INDEXES.refreshDue,
      keyCondition: 'GSI2PK = :pk AND GSI2SK <= :now',
      values: { ':pk': keys.refreshShard(shard).GSI2PK, ':now': `${now.toISOString()}#~` },
      projection: 'tenant_id, id, GSI2SK',
    },
    () => Math.min(1000, max - entries.length),
  );
  for await (const page of pages) {
    for (const item of page)
      entries.push({
        tenantId: item.tenant_id as string,
        tokenId: item.id as string,
        due: item.GSI2SK as string,
      });
    if (entries.length >= max || !more()) break;
  }
  return entries;
}
