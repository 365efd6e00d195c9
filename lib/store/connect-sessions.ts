import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../aws.js';
import { isConditionFailure, ttlIn } from './db.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';

export interface ConnectSession {
  state_hash: string;
  tenant_id: string;
  provider: string;
  key: string;
  scopes: string[];
  redirect_url: string;
  /** The callback URL sent as redirect_uri; the code exchange must repeat it. */
  redirect_uri: string;
  url_params: Record<string, string>;
  /** PKCE verifier, sealed; null when the provider takes no PKCE. */
  code_verifier_enc: string | null;
  expires_at: string;
}

export async function putSession(s: ConnectSession, lifetimeSeconds: number): Promise<void> {
  await ddb.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...keys.connectSession(s.state_hash),
        type: 'connect_session',
        ...s,
        [TTL_ATTRIBUTE]: ttlIn(lifetimeSeconds),
      },
      ConditionExpression: 'attribute_not_exists(PK)',
    }),
  );
}

/**
 * Deletes the session and returns it: a state can be used once. Expiry is checked here too, as
 * DynamoDB's TTL deletion lags (and DynamoDB Local never deletes).
 */
export async function takeSession(stateHash: string, now = new Date()): Promise<ConnectSession | null> {
  try {
    const out = await ddb.send(
      new DeleteCommand({
        TableName: tableName,
        Key: keys.connectSession(stateHash),
        ConditionExpression: 'attribute_exists(PK)',
        ReturnValues: 'ALL_OLD',
      }),
    );
    const s = out.Attributes as ConnectSession | undefined;
    if (!s || Date.parse(s.expires_at) <= now.getTime()) return null;
    return s;
  } catch (err) {
    if (isConditionFailure(err)) return null;
    throw err;
  }
}
