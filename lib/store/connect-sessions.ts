import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
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
  /** False: the callback stores the token at once. Absent (older sessions) counts as true. */
  confirm?: boolean;
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

/**
 * A connection the provider granted but the app has not yet confirmed: the provider's tokens,
 * sealed, under the tenant and a hash of the one-time connect code. It is not a token: nothing
 * lists, reads or refreshes it until the exchange turns it into one.
 */
export interface PendingConnection {
  code_hash: string;
  tenant_id: string;
  provider: string;
  key: string;
  access_token_enc: string;
  refresh_token_enc: string | null;
  /** Fixed at the callback, so waiting for confirmation does not stretch the token's lifetime. */
  token_expires_at: string | null;
  token_type: string;
  scopes: string[];
  url_params: Record<string, string>;
  /** The session's expiry: an unconfirmed connection goes with it. */
  expires_at: string;
}

export async function putPendingConnection(p: PendingConnection): Promise<void> {
  await ddb.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...keys.pendingConnection(p.tenant_id, p.code_hash),
        type: 'pending_connection',
        ...p,
        [TTL_ATTRIBUTE]: Math.ceil(Date.parse(p.expires_at) / 1000),
      },
      ConditionExpression: 'attribute_not_exists(PK)',
    }),
  );
}

/** The caller's own pending connection: the key names the tenant, so another tenant's code is not found. */
export async function getPendingConnection(
  tenantId: string,
  codeHash: string,
): Promise<PendingConnection | null> {
  const out = await ddb.send(
    new GetCommand({
      TableName: tableName,
      Key: keys.pendingConnection(tenantId, codeHash),
      ConsistentRead: true,
    }),
  );
  if (!out.Item) return null;
  const { PK: _pk, SK: _sk, type: _type, [TTL_ATTRIBUTE]: _ttl, ...p } = out.Item;
  return p as PendingConnection;
}

export async function discardPendingConnection(tenantId: string, codeHash: string): Promise<void> {
  await ddb.send(
    new DeleteCommand({ TableName: tableName, Key: keys.pendingConnection(tenantId, codeHash) }),
  );
}

/**
 * The transaction item that uses the connect code up: it commits only if the pending connection
 * is still there and unexpired, so of two exchanges of one code at most one stores a token.
 */
export function consumePendingConnection(
  p: Pick<PendingConnection, 'tenant_id' | 'code_hash'>,
  now = new Date(),
) {
  return {
    Delete: {
      TableName: tableName,
      Key: keys.pendingConnection(p.tenant_id, p.code_hash),
      ConditionExpression: 'attribute_exists(PK) AND expires_at > :now',
      ExpressionAttributeValues: { ':now': now.toISOString() },
    },
  };
}
