import { tableName } from '../aws.js';
import { ConflictError } from '../errors.js';
import { type Companion, entity, getConsistent, type TransactItem, ttlIn, write } from './db.js';
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

const session = entity<ConnectSession>({
  state_hash: undefined,
  tenant_id: undefined,
  provider: undefined,
  key: undefined,
  scopes: undefined,
  redirect_url: undefined,
  redirect_uri: undefined,
  url_params: undefined,
  code_verifier_enc: undefined,
  expires_at: undefined,
  confirm: undefined,
});

export async function putSession(
  s: ConnectSession,
  lifetimeSeconds: number,
  also: Companion[] = [],
): Promise<void> {
  const r = await write(
    [
      {
        Put: {
          TableName: tableName,
          Item: {
            ...keys.connectSession(s.state_hash),
            type: 'connect_session',
            ...s,
            [TTL_ATTRIBUTE]: ttlIn(lifetimeSeconds),
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    ],
    also,
  );
  if (!r.ok) throw new ConflictError('The connect session exists already.');
}

/**
 * Deletes the session and returns it: a state can be used once. Expiry is checked here too, as
 * DynamoDB's TTL deletion lags (and DynamoDB Local never deletes).
 */
export async function takeSession(
  stateHash: string,
  now = new Date(),
  also: Companion[] = [],
): Promise<ConnectSession | null> {
  const r = await write(
    [
      {
        Delete: {
          TableName: tableName,
          Key: keys.connectSession(stateHash),
          ConditionExpression: 'attribute_exists(PK)',
        },
      },
    ],
    also,
    'ALL_OLD',
  );
  const s = r.ok && r.attributes ? session.fromItem(r.attributes) : null;
  if (!s || Date.parse(s.expires_at) <= now.getTime()) return null;
  return s;
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

const pending = entity<PendingConnection>({
  code_hash: undefined,
  tenant_id: undefined,
  provider: undefined,
  key: undefined,
  access_token_enc: undefined,
  refresh_token_enc: null,
  token_expires_at: null,
  token_type: undefined,
  scopes: undefined,
  url_params: undefined,
  expires_at: undefined,
});

export async function putPendingConnection(p: PendingConnection, also: Companion[] = []): Promise<void> {
  const r = await write(
    [
      {
        Put: {
          TableName: tableName,
          Item: {
            ...keys.pendingConnection(p.tenant_id, p.code_hash),
            type: 'pending_connection',
            ...p,
            [TTL_ATTRIBUTE]: Math.ceil(Date.parse(p.expires_at) / 1000),
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    ],
    also,
  );
  if (!r.ok) throw new ConflictError('The pending connection exists already.');
}

/** The caller's own pending connection: the key names the tenant, so another tenant's code is not found. */
export async function getPendingConnection(
  tenantId: string,
  codeHash: string,
): Promise<PendingConnection | null> {
  const item = await getConsistent(keys.pendingConnection(tenantId, codeHash));
  return item ? pending.fromItem(item) : null;
}

export async function discardPendingConnection(
  tenantId: string,
  codeHash: string,
  also: Companion[] = [],
): Promise<void> {
  await write([{ Delete: { TableName: tableName, Key: keys.pendingConnection(tenantId, codeHash) } }], also);
}

/**
 * The transaction item that uses the connect code up: it commits only if the pending connection
 * is still there and unexpired, so of two exchanges of one code at most one stores a token.
 */
export function consumePendingConnection(
  p: Pick<PendingConnection, 'tenant_id' | 'code_hash'>,
  now = new Date(),
): TransactItem {
  return {
    Delete: {
      TableName: tableName,
      Key: keys.pendingConnection(p.tenant_id, p.code_hash),
      ConditionExpression: 'attribute_exists(PK) AND expires_at > :now',
      ExpressionAttributeValues: { ':now': now.toISOString() },
    },
  };
}
