import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../aws.js';
import { ConflictError } from '../errors.js';
import type { CustomProvider } from '../providers/schemas.js';
import { deleteExisting, isConditionFailure, queryPrefix } from './db.js';
import { keys } from './keys.js';

export interface OAuthAppRecord {
  tenant_id: string;
  provider: string;
  client_id: string;
  /** Sealed like tokens. */
  client_secret_enc: string;
  scopes: string[] | null;
  redirect_urls: string[];
  url_params: Record<string, string>;
  custom: CustomProvider | null;
  /** Overrides the provider's API base URL for the proxy. */
  api_base_url?: string;
  created_at: string;
}

const toItem = (a: OAuthAppRecord) => ({
  ...keys.oauthApp(a.tenant_id, a.provider),
  type: 'oauth_app',
  ...a,
});

function fromItem(i: Record<string, unknown>): OAuthAppRecord {
  return {
    tenant_id: i.tenant_id as string,
    provider: i.provider as string,
    client_id: i.client_id as string,
    client_secret_enc: i.client_secret_enc as string,
    scopes: (i.scopes as string[] | null) ?? null,
    redirect_urls: (i.redirect_urls as string[]) ?? [],
    url_params: (i.url_params as Record<string, string>) ?? {},
    custom: (i.custom as CustomProvider | null) ?? null,
    ...(i.api_base_url ? { api_base_url: i.api_base_url as string } : {}),
    created_at: i.created_at as string,
  };
}

export async function insertOAuthApp(a: OAuthAppRecord): Promise<void> {
  try {
    await ddb.send(
      new PutCommand({
        TableName: tableName,
        Item: toItem(a),
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
  } catch (err) {
    if (isConditionFailure(err)) {
      throw new ConflictError(`An OAuth app for '${a.provider}' exists; delete it first to replace it.`);
    }
    throw err;
  }
}

export async function getOAuthApp(tenantId: string, provider: string): Promise<OAuthAppRecord | null> {
  const out = await ddb.send(
    new GetCommand({ TableName: tableName, Key: keys.oauthApp(tenantId, provider) }),
  );
  return out.Item ? fromItem(out.Item) : null;
}

export function listOAuthApps(tenantId: string, limit: number, cursor?: string) {
  return queryPrefix(tenantId, keys.oauthAppsOf(tenantId), { limit, cursor }, fromItem);
}

export async function deleteOAuthApp(tenantId: string, provider: string): Promise<void> {
  await deleteExisting(keys.oauthApp(tenantId, provider), 'OAuth app');
}
