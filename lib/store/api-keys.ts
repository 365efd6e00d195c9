import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../aws.js';
import { NotFoundError } from '../errors.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { isConditionFailure, ttlIn } from './db.js';
import { INDEXES, keys, TTL_ATTRIBUTE } from './keys.js';

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
    type: 'api_key',
    ...rest,
    ...(last_used_at ? { last_used_at } : {}),
    ...(revoked_at ? { revoked_at } : {}),
  };
}

function fromItem(item: Record<string, unknown>): ApiKeyRecord {
  return {
    id: item.id as string,
    tenant_id: item.tenant_id as string,
    name: item.name as string,
    scopes: item.scopes as string[],
    prefix: item.prefix as string,
    secret_hash: item.secret_hash as string,
    created_at: item.created_at as string,
    last_used_at: (item.last_used_at as string | undefined) ?? null,
    revoked_at: (item.revoked_at as string | undefined) ?? null,
  };
}

export async function putApiKey(k: ApiKeyRecord): Promise<void> {
  await ddb.send(
    new PutCommand({
      TableName: tableName,
      Item: apiKeyItem(k),
      ConditionExpression: 'attribute_not_exists(PK)',
    }),
  );
}

export async function getApiKey(id: string): Promise<ApiKeyRecord | null> {
  const out = await ddb.send(new GetCommand({ TableName: tableName, Key: keys.apiKey(id) }));
  return out.Item ? fromItem(out.Item) : null;
}

/** A tenant's active keys, oldest first. Revoked keys leave the index when revoked. */
export async function listApiKeys(tenantId: string, limit: number, cursor?: string) {
  const out = await ddb.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: INDEXES.byOwner,
      KeyConditionExpression: 'GSI1PK = :pk',
      ExpressionAttributeValues: { ':pk': keys.apiKeysOf(tenantId).GSI1PK },
      Limit: limit,
      ExclusiveStartKey: decodeCursor(tenantId, cursor, {
        name: 'GSI1PK',
        value: keys.apiKeysOf(tenantId).GSI1PK,
      }),
    }),
  );
  return {
    items: (out.Items ?? []).map(fromItem),
    next_cursor: encodeCursor(tenantId, out.LastEvaluatedKey),
  };
}

/** Marks a tenant's key revoked. Another tenant's key, or one already revoked, is "not found". */
export async function revokeApiKey(tenantId: string, id: string, at: string): Promise<void> {
  try {
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.apiKey(id),
        UpdateExpression: `SET revoked_at = :at, #ttl = :ttl REMOVE GSI1PK, GSI1SK`,
        ConditionExpression:
          'attribute_exists(PK) AND tenant_id = :tenant AND attribute_not_exists(revoked_at)',
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ':at': at,
          ':tenant': tenantId,
          ':ttl': ttlIn(REVOKED_RETENTION_SECONDS),
        },
      }),
    );
  } catch (err) {
    if (isConditionFailure(err)) throw new NotFoundError('API key not found.');
    throw err;
  }
}

/** Records use; the caller throttles this to about once a minute per key. */
export async function touchApiKey(id: string, at: string): Promise<void> {
  await ddb.send(
    new UpdateCommand({
      TableName: tableName,
      Key: keys.apiKey(id),
      UpdateExpression: 'SET #used = :at',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeNames: { '#used': LAST_USED_ATTRIBUTE },
      ExpressionAttributeValues: { ':at': at },
    }),
  );
}
