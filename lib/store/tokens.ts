import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../aws.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { eventPut } from '../events/outbox.js';
import type { VaultEventRecord } from '../events/types.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { failedConditions, isConditionFailure } from './db.js';
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

const FIELDS: (keyof TokenRecord)[] = [
  'id',
  'tenant_id',
  'provider',
  'key',
  'token_type',
  'scopes',
  'metadata',
  'access_token_enc',
  'refresh_token_enc',
  'expires_at',
  'status',
  'last_refreshed_at',
  'last_error',
  'refresh_failures',
  'refresh_due_at',
  'created_at',
  'updated_at',
  'url_params',
  'version',
];

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

export function fromItem(item: Record<string, unknown>): TokenRecord {
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) out[f] = item[f] ?? null;
  const t = out as unknown as TokenRecord;
  t.scopes ??= [];
  t.metadata ??= {};
  t.refresh_failures ??= 0;
  t.url_params ??= {};
  t.version ??= 1;
  return t;
}

const claimItem = (t: TokenRecord) => ({
  ...keys.tokenClaim(t.tenant_id, t.provider, t.key),
  type: 'token_claim',
  token_id: t.id,
});

/**
 * A conditional write that must commit together with the token's, or neither does (e.g. using up a
 * one-time connect code). If its condition fails, `failed()` is thrown.
 */
export interface Companion {
  item: NonNullable<TransactWriteCommandInput['TransactItems']>[number];
  failed: () => Error;
}

/** A transaction item from a plan limit (lib/billing/quota): its condition failing is a refusal. */
export interface TransactGuard {
  item: Record<string, unknown>;
  refuse(): Promise<never>;
}
type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];

/** Inserts a token and its (provider, key) claim in one transaction; a taken claim is a 409. */
export async function insertToken(
  t: TokenRecord,
  events: VaultEventRecord[] = [],
  companion?: Companion,
  guard?: TransactGuard,
): Promise<void> {
  try {
    await ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: tableName, Item: toItem(t), ConditionExpression: 'attribute_not_exists(PK)' } },
          {
            Put: {
              TableName: tableName,
              Item: claimItem(t),
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          ...(companion ? [companion.item] : []),
          ...events.map(eventPut),
          ...(guard ? [guard.item as TransactItem] : []),
        ],
      }),
    );
  } catch (err) {
    const failed = failedConditions(err);
    if (companion && failed?.includes(2)) throw companion.failed();
    if (guard && failed?.includes(2 + (companion ? 1 : 0) + events.length)) await guard.refuse();
    if (failedConditions(err)?.includes(1)) {
      throw new ConflictError(`A token for provider '${t.provider}' and key '${t.key}' already exists.`);
    }
    throw err;
  }
}

export async function getToken(
  tenantId: string,
  id: string,
  consistent = false,
): Promise<TokenRecord | null> {
  const out = await ddb.send(
    new GetCommand({ TableName: tableName, Key: keys.token(tenantId, id), ConsistentRead: consistent }),
  );
  return out.Item ? fromItem(out.Item) : null;
}

export async function mustGetToken(tenantId: string, id: string, consistent = false): Promise<TokenRecord> {
  const t = await getToken(tenantId, id, consistent);
  if (!t) throw new NotFoundError('Token not found.');
  return t;
}

/** The token id holding a tenant's (provider, key), if any. */
export async function findTokenId(tenantId: string, provider: string, key: string): Promise<string | null> {
  const out = await ddb.send(
    new GetCommand({
      TableName: tableName,
      Key: keys.tokenClaim(tenantId, provider, key),
      ConsistentRead: true,
    }),
  );
  return (out.Item?.token_id as string | undefined) ?? null;
}

/**
 * Replaces a token if its version is still `expectedVersion` (optimistic concurrency). Throws
 * NotFoundError if it is gone, and ConflictError if someone else wrote it in between.
 */
export async function replaceToken(
  t: TokenRecord,
  expectedVersion: number,
  events: VaultEventRecord[] = [],
  companion?: Companion,
): Promise<void> {
  const put = {
    TableName: tableName,
    Item: toItem(t),
    ConditionExpression: 'attribute_exists(PK) AND version = :v',
    ExpressionAttributeValues: { ':v': expectedVersion },
  };
  const extra = companion ? [companion.item] : [];
  try {
    if (events.length === 0 && !companion) await ddb.send(new PutCommand(put));
    else {
      await ddb.send(
        new TransactWriteCommand({ TransactItems: [{ Put: put }, ...extra, ...events.map(eventPut)] }),
      );
    }
  } catch (err) {
    if (companion && failedConditions(err)?.includes(1)) throw companion.failed();
    if (isConditionFailure(err) || failedConditions(err)) {
      const now = await getToken(t.tenant_id, t.id, true);
      if (!now) throw new NotFoundError('Token not found.');
      throw new ConflictError('The token was changed concurrently; retry.');
    }
    throw err;
  }
}

export async function deleteToken(
  t: TokenRecord,
  events: VaultEventRecord[] = [],
  extra: Record<string, unknown>[] = [],
): Promise<void> {
  try {
    await ddb.send(
      new TransactWriteCommand({
        TransactItems: [
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
          ...events.map(eventPut),
          ...(extra as TransactItem[]),
        ],
      }),
    );
  } catch (err) {
    if (failedConditions(err)) throw new NotFoundError('Token not found.');
    throw err;
  }
}

export interface TokenFilter {
  provider?: string;
  key?: string;
}

/** A page of a tenant's tokens: by provider (and key) on GSI1, else the tenant's partition. */
export async function listTokens(tenantId: string, filter: TokenFilter, limit: number, cursor?: string) {
  let query: QueryCommand;
  if (filter.provider !== undefined) {
    const k = keys.tokensByProvider(tenantId, filter.provider, filter.key);
    query = new QueryCommand({
      TableName: tableName,
      IndexName: INDEXES.byOwner,
      KeyConditionExpression: k.exact
        ? 'GSI1PK = :pk AND GSI1SK = :sk'
        : 'GSI1PK = :pk AND begins_with(GSI1SK, :sk)',
      ExpressionAttributeValues: { ':pk': k.GSI1PK, ':sk': k.GSI1SK },
      Limit: limit,
      ExclusiveStartKey: decodeCursor(tenantId, cursor, { name: 'GSI1PK', value: k.GSI1PK }),
    });
  } else {
    const k = keys.tokensOf(tenantId);
    query = new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :sk)',
      // A key across providers: a filter within the tenant's own partition (never a Scan).
      ...(filter.key !== undefined
        ? { FilterExpression: '#key = :key', ExpressionAttributeNames: { '#key': 'key' } }
        : {}),
      ExpressionAttributeValues: {
        ':pk': k.PK,
        ':sk': k.SKPrefix,
        ...(filter.key !== undefined ? { ':key': filter.key } : {}),
      },
      Limit: limit,
      ExclusiveStartKey: decodeCursor(tenantId, cursor, { name: 'PK', value: k.PK, skPrefix: k.SKPrefix }),
    });
  }
  const out = await ddb.send(query);
  return {
    items: (out.Items ?? []).map(fromItem),
    next_cursor: encodeCursor(tenantId, out.LastEvaluatedKey),
  };
}
