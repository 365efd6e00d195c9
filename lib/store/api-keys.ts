import { tableName } from '../aws.js';
import { ConflictError, NotFoundError } from '../errors.js';
import {
  type Companion,
  entity,
  getConsistent,
  queryOwnerPage,
  type TransactItem,
  ttlIn,
  write,
} from './db.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';

export interface ApiKeyRecord {
  id: string;
  tenant_id: string;
  name: string;
  scopes: string[];
  /** The public part of the key, `vk_live_<id>`, to recognise it in a list. */
  prefix: string;
  /** bcrypt hash of the secret part; the secret itself is never stored. */
  secret_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** The one attribute a request's authentication writes (IAM for read-only routes allows just it). */
export const LAST_USED_ATTRIBUTE = 'last_used_at';

/** Revoked keys stay for this long (audit), then TTL removes them. */
const REVOKED_RETENTION_SECONDS = 90 * 86_400;

export function apiKeyItem(k: ApiKeyRecord) {
  // Unset timestamps are absent, not NULL, so conditions can use attribute_not_exists.
  const { last_used_at, revoked_at, ...rest } = k;
  return {
    ...keys.apiKey(k.id),
    ...keys.apiKeyOwner(k.tenant_id, k.created_at, k.id),
    // Who owns the id: a 404 on another tenant's key is recorded for that tenant (lib/audit).
    ...keys.ownerById('api_key', k.id, k.tenant_id),
    type: 'api_key',
    ...rest,
    ...(last_used_at ? { last_used_at } : {}),
    ...(revoked_at ? { revoked_at } : {}),
  };
}

const { fromItem } = entity<ApiKeyRecord>({
  id: undefined,
  tenant_id: undefined,
  name: undefined,
  scopes: undefined,
  prefix: undefined,
  secret_hash: undefined,
  created_at: undefined,
  last_used_at: null,
  revoked_at: null,
});

export async function putApiKey(k: ApiKeyRecord, also: Companion[] = []): Promise<void> {
  const r = await write(
    [{ Put: { TableName: tableName, Item: apiKeyItem(k), ConditionExpression: 'attribute_not_exists(PK)' } }],
    also,
  );
  if (!r.ok) throw new ConflictError('The API key exists already.');
}

export async function getApiKey(id: string): Promise<ApiKeyRecord | null> {
  const item = await getConsistent(keys.apiKey(id), false);
  return item ? fromItem(item) : null;
}

/** A tenant's active keys, oldest first. Revoked keys leave the index when revoked. */
export function listApiKeys(tenantId: string, limit: number, cursor?: string) {
  return queryOwnerPage(tenantId, keys.apiKeysOf(tenantId).GSI1PK, { limit, cursor }, fromItem);
}

/**
 * The revocation of a key (API or agent) as a write: only the tenant's own, only once; it leaves the
 * owner index and stays for `retentionSeconds` so that its id is not reused and the audit trail can name it.
 */
export const revokeKeyItem = (
  key: { PK: string; SK: string },
  tenantId: string,
  at: string,
  retentionSeconds: number,
): TransactItem => ({
  Update: {
    TableName: tableName,
    Key: key,
    UpdateExpression: 'SET revoked_at = :at, #ttl = :ttl REMOVE GSI1PK, GSI1SK',
    ConditionExpression: 'attribute_exists(PK) AND tenant_id = :tenant AND attribute_not_exists(revoked_at)',
    ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
    ExpressionAttributeValues: { ':at': at, ':tenant': tenantId, ':ttl': ttlIn(retentionSeconds) },
  },
});

/** Marks a tenant's key revoked. Another tenant's key, or one already revoked, is "not found". */
export async function revokeApiKey(
  tenantId: string,
  id: string,
  at: string,
  also: Companion[] = [],
): Promise<void> {
  const r = await write([revokeKeyItem(keys.apiKey(id), tenantId, at, REVOKED_RETENTION_SECONDS)], also);
  if (!r.ok) throw new NotFoundError('API key not found.');
}

/** Records use; the caller throttles this to about once a minute per key. */
export async function touchApiKey(id: string, at: string, also: Companion[] = []): Promise<void> {
  const r = await write(
    [
      {
        Update: {
          TableName: tableName,
          Key: keys.apiKey(id),
          UpdateExpression: 'SET #used = :at',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeNames: { '#used': LAST_USED_ATTRIBUTE },
          ExpressionAttributeValues: { ':at': at },
        },
      },
    ],
    also,
  );
  if (!r.ok) throw new NotFoundError('API key not found.');
}
