import { tableName } from '../aws.js';
import { ConflictError } from '../errors.js';
import { type Companion, entity, getConsistent, write } from './db.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';

/** A dashboard session: an admin API key exchanged for a cookie. Only a hash of its id is stored. */
export interface SessionRecord {
  id_hash: string;
  tenant_id: string;
  key_id: string;
  created_at: string;
  last_seen_at: string;
  /** Absolute expiry (ISO). */
  expires_at: string;
}

/** The one attribute a request's session check writes (IAM for read-only routes allows just it). */
export const LAST_SEEN_ATTRIBUTE = 'last_seen_at';

const { fromItem } = entity<SessionRecord>({
  id_hash: undefined,
  tenant_id: undefined,
  key_id: undefined,
  created_at: undefined,
  last_seen_at: undefined,
  expires_at: undefined,
});

export async function putSession(s: SessionRecord, also: Companion[] = []): Promise<void> {
  const r = await write(
    [
      {
        Put: {
          TableName: tableName,
          Item: {
            ...keys.dashboardSession(s.id_hash),
            type: 'dashboard_session',
            ...s,
            // DynamoDB removes it eventually; expiry is checked in code on every use regardless.
            [TTL_ATTRIBUTE]: Math.ceil(Date.parse(s.expires_at) / 1000),
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    ],
    also,
  );
  if (!r.ok) throw new ConflictError('The session exists already.');
}

export async function getSession(idHash: string): Promise<SessionRecord | null> {
  const item = await getConsistent(keys.dashboardSession(idHash), false);
  return item ? { ...fromItem(item), id_hash: idHash } : null;
}

/** Records activity (for idle expiry); a session deleted meanwhile stays deleted. */
export async function touchSession(idHash: string, at: string, also: Companion[] = []): Promise<void> {
  await write(
    [
      {
        Update: {
          TableName: tableName,
          Key: keys.dashboardSession(idHash),
          UpdateExpression: 'SET #seen = :at',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeNames: { '#seen': LAST_SEEN_ATTRIBUTE },
          ExpressionAttributeValues: { ':at': at },
        },
      },
    ],
    also,
  );
}

export async function deleteSession(idHash: string, also: Companion[] = []): Promise<void> {
  await write([{ Delete: { TableName: tableName, Key: keys.dashboardSession(idHash) } }], also);
}
