import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../aws.js';
import { isConditionFailure } from './db.js';
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

export async function putSession(s: SessionRecord): Promise<void> {
  await ddb.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...keys.dashboardSession(s.id_hash),
        type: 'dashboard_session',
        ...s,
        // DynamoDB removes it eventually; expiry is checked in code on every use regardless.
        [TTL_ATTRIBUTE]: Math.ceil(Date.parse(s.expires_at) / 1000),
      },
      ConditionExpression: 'attribute_not_exists(PK)',
    }),
  );
}

export async function getSession(idHash: string): Promise<SessionRecord | null> {
  const out = await ddb.send(new GetCommand({ TableName: tableName, Key: keys.dashboardSession(idHash) }));
  if (!out.Item) return null;
  const i = out.Item;
  return {
    id_hash: idHash,
    tenant_id: i.tenant_id as string,
    key_id: i.key_id as string,
    created_at: i.created_at as string,
    last_seen_at: i.last_seen_at as string,
    expires_at: i.expires_at as string,
  };
}

/** Records activity (for idle expiry); a session deleted meanwhile stays deleted. */
export async function touchSession(idHash: string, at: string): Promise<void> {
  try {
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.dashboardSession(idHash),
        UpdateExpression: 'SET #seen = :at',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeNames: { '#seen': LAST_SEEN_ATTRIBUTE },
        ExpressionAttributeValues: { ':at': at },
      }),
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
}

export async function deleteSession(idHash: string): Promise<void> {
  await ddb.send(new DeleteCommand({ TableName: tableName, Key: keys.dashboardSession(idHash) }));
}
