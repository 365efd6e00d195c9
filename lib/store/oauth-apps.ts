import { tableName } from '../aws.js';
import { ConflictError } from '../errors.js';
import { type Companion, deleteExisting, entity, getConsistent, queryPrefix, write } from './db.js';
import { keys } from './keys.js';

/**
 * A custom provider's definition as stored; lib/providers validates it (its CustomProvider must
 * stay assignable to this: the compiler checks where apps are created).
 */
export interface StoredCustomProvider {
  name: string;
  authorization_url: string;
  token_url: string;
  scope_separator: ' ' | ',' | '+';
  pkce: boolean;
  token_auth: 'client_secret_basic' | 'client_secret_post';
  authorize_params: Record<string, string>;
  issuer?: string;
  api_base_url?: string;
}

export interface OAuthAppRecord {
  tenant_id: string;
  provider: string;
  client_id: string;
  /** Sealed like tokens. */
  client_secret_enc: string;
  scopes: string[] | null;
  redirect_urls: string[];
  url_params: Record<string, string>;
  custom: StoredCustomProvider | null;
  /** Overrides the provider's API base URL for the proxy. */
  api_base_url?: string;
  created_at: string;
}

const toItem = (a: OAuthAppRecord) => ({
  ...keys.oauthApp(a.tenant_id, a.provider),
  type: 'oauth_app',
  ...a,
});

const { fromItem } = entity<OAuthAppRecord>({
  tenant_id: undefined,
  provider: undefined,
  client_id: undefined,
  client_secret_enc: undefined,
  scopes: null,
  redirect_urls: [],
  url_params: {},
  custom: null,
  // Optional: absent stays absent.
  api_base_url: undefined,
  created_at: undefined,
});

export async function insertOAuthApp(a: OAuthAppRecord, also: Companion[] = []): Promise<void> {
  const r = await write(
    [{ Put: { TableName: tableName, Item: toItem(a), ConditionExpression: 'attribute_not_exists(PK)' } }],
    also,
  );
  if (!r.ok)
    throw new ConflictError(`An OAuth app for '${a.provider}' exists; delete it first to replace it.`);
}

export async function getOAuthApp(tenantId: string, provider: string): Promise<OAuthAppRecord | null> {
  const item = await getConsistent(keys.oauthApp(tenantId, provider), false);
  return item ? fromItem(item) : null;
}

export function listOAuthApps(tenantId: string, limit: number, cursor?: string) {
  return queryPrefix(tenantId, keys.oauthAppsOf(tenantId), { limit, cursor }, fromItem);
}

export async function deleteOAuthApp(
  tenantId: string,
  provider: string,
  also: Companion[] = [],
): Promise<void> {
  await deleteExisting(keys.oauthApp(tenantId, provider), 'OAuth app', also);
}
