import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../aws.js';
import { NotFoundError } from '../errors.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { isConditionFailure, ttlIn } from './db.js';
import { INDEXES, keys, TTL_ATTRIBUTE } from './keys.js';

/** One entry of an agent key's allow-list. */
export interface AgentAllow {
  provider: string;
  /** Exact, or a prefix ending in `*`. */
  key: string;
  /** Upper-case HTTP methods; absent: any. */
  methods?: ('GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS')[];
  /** Path prefixes matching at segment boundaries; absent: any path. */
  paths?: string[];
}

export interface AgentKeyRecord {
  id: string;
  tenant_id: string;
  name: string;
  allow: AgentAllow[];
  /** `vk_agent_<id>`, to recognise it in a list. */
  prefix: string;
  /** bcrypt hash of the secret part; the secret itself is never stored. */
  secret_hash: string;
  created_at: string;
  expires_at: string;
  max_calls: number | null;
  calls: number;
  last_used_at: string | null;
  revoked_at: string | null;
  /** Who made it (the admin API key's id). */
  created_by: string;
}

/** Expired or revoked keys stay this long (for the record), then TTL removes them. */
const RETENTION_SECONDS = 30 * 86_400;

function toItem(k: AgentKeyRecord) {
  const { last_used_at, revoked_at, max_calls, ...rest } = k;
  return {
    ...keys.agentKey(k.id),
    ...keys.agentKeyOwner(k.tenant_id, k.created_at, k.id),
    type: 'agent_key',
    ...rest,
    ...(max_calls !== null ? { max_calls } : {}),
    [TTL_ATTRIBUTE]: ttlIn(RETENTION_SECONDS, Date.parse(k.expires_at)),
  };
}

function fromItem(item: Record<string, unknown>): AgentKeyRecord {
  return {
    id: item.id as string,
    tenant_id: item.tenant_id as string,
    name: item.name as string,
    allow: item.allow as AgentAllow[],
    prefix: item.prefix as string,
    secret_hash: item.secret_hash as string,
    created_at: item.created_at as string,
    expires_at: item.expires_at as string,
    max_calls: (item.max_calls as number | undefined) ?? null,
    calls: (item.calls as number | undefined) ?? 0,
    last_used_at: (item.last_used_at as string | undefined) ?? null,
    revoked_at: (item.revoked_at as string | undefined) ?? null,
    created_by: item.created_by as string,
  };
}

export async function putAgentKey(k: AgentKeyRecord): Promise<void> {
  await ddb.send(
    new PutCommand({
      TableName: tableName,
      Item: toItem(k),
      ConditionExpression: 'attribute_not_exists(PK)',
    }),
  );
}

export async function getAgentKey(id: string): Promise<AgentKeyRecord | null> {
  const out = await ddb.send(new GetCommand({ TableName: tableName, Key: keys.agentKey(id) }));
  return out.Item ? fromItem(out.Item) : null;
}

/** A tenant's agent keys that are not revoked (expired ones too), oldest first. */
export async function listAgentKeys(tenantId: string, limit: number, cursor?: string) {
  const pk = keys.agentKeysOf(tenantId).GSI1PK;
  const out = await ddb.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: INDEXES.byOwner,
      KeyConditionExpression: 'GSI1PK = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      Limit: limit,
      ExclusiveStartKey: decodeCursor(tenantId, cursor, { name: 'GSI1PK', value: pk }),
    }),
  );
  return {
    items: (out.Items ?? []).map(fromItem),
    next_cursor: encodeCursor(tenantId, out.LastEvaluatedKey),
  };
}

/** Revokes a tenant's key. Another tenant's key, or one already revoked, is "not found". */
export async function revokeAgentKey(tenantId: string, id: string, at: string): Promise<void> {
  try {
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.agentKey(id),
        UpdateExpression: 'SET revoked_at = :at, #ttl = :ttl REMOVE GSI1PK, GSI1SK',
        ConditionExpression:
          'attribute_exists(PK) AND tenant_id = :tenant AND attribute_not_exists(revoked_at)',
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':at': at, ':tenant': tenantId, ':ttl': ttlIn(RETENTION_SECONDS) },
      }),
    );
  } catch (err) {
    if (isConditionFailure(err)) throw new NotFoundError('Agent key not found.');
    throw err;
  }
}

/**
 * Counts one call, atomically, if the key may still make it: not revoked, not expired, under
 * max_calls. Concurrent calls cannot overshoot max_calls: the condition and the increment are one
 * write. Returns false when the key may not.
 */
export async function countAgentCall(id: string, now: Date): Promise<boolean> {
  try {
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.agentKey(id),
        UpdateExpression: 'SET calls = calls + :one, last_used_at = :now',
        ConditionExpression:
          'attribute_exists(PK) AND attribute_not_exists(revoked_at) AND expires_at > :now AND (attribute_not_exists(max_calls) OR calls < max_calls)',
        ExpressionAttributeValues: { ':one': 1, ':now': now.toISOString() },
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}
