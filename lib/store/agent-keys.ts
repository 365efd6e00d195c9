import { tableName } from '../aws.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { revokeKeyItem } from './api-keys.js';
import { type Companion, entity, getConsistent, queryOwnerPage, ttlIn, write } from './db.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';

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
    ...keys.ownerById('agent_key', k.id, k.tenant_id),
    type: 'agent_key',
    ...rest,
    ...(max_calls !== null ? { max_calls } : {}),
    [TTL_ATTRIBUTE]: ttlIn(RETENTION_SECONDS, Date.parse(k.expires_at)),
  };
}

const { fromItem } = entity<AgentKeyRecord>({
  id: undefined,
  tenant_id: undefined,
  name: undefined,
  allow: undefined,
  prefix: undefined,
  secret_hash: undefined,
  created_at: undefined,
  expires_at: undefined,
  max_calls: null,
  calls: 0,
  last_used_at: null,
  revoked_at: null,
  created_by: undefined,
});

export async function putAgentKey(k: AgentKeyRecord, also: Companion[] = []): Promise<void> {
  const r = await write(
    [{ Put: { TableName: tableName, Item: toItem(k), ConditionExpression: 'attribute_not_exists(PK)' } }],
    also,
  );
  if (!r.ok) throw new ConflictError('The agent key exists already.');
}

export async function getAgentKey(id: string): Promise<AgentKeyRecord | null> {
  const item = await getConsistent(keys.agentKey(id), false);
  return item ? fromItem(item) : null;
}

/** A tenant's agent keys that are not revoked (expired ones too), oldest first. */
export function listAgentKeys(tenantId: string, limit: number, cursor?: string) {
  return queryOwnerPage(tenantId, keys.agentKeysOf(tenantId).GSI1PK, { limit, cursor }, fromItem);
}

/** Revokes a tenant's key. Another tenant's key, or one already revoked, is "not found". */
export async function revokeAgentKey(
  tenantId: string,
  id: string,
  at: string,
  also: Companion[] = [],
): Promise<void> {
  const r = await write([revokeKeyItem(keys.agentKey(id), tenantId, at, RETENTION_SECONDS)], also);
  if (!r.ok) throw new NotFoundError('Agent key not found.');
}

/**
 * Counts one call, atomically, if the key may still make it: not revoked, not expired, under
 * max_calls. Concurrent calls cannot overshoot max_calls: the condition and the increment are one
 * write. Returns false when the key may not.
 */
export async function countAgentCall(id: string, now: Date, also: Companion[] = []): Promise<boolean> {
  const r = await write(
    [
      {
        Update: {
          TableName: tableName,
          Key: keys.agentKey(id),
          UpdateExpression: 'SET calls = calls + :one, last_used_at = :now',
          ConditionExpression:
            'attribute_exists(PK) AND attribute_not_exists(revoked_at) AND expires_at > :now AND (attribute_not_exists(max_calls) OR calls < max_calls)',
          ExpressionAttributeValues: { ':one': 1, ':now': now.toISOString() },
        },
      },
    ],
    also,
  );
  return r.ok;
}
