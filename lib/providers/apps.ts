import { auditCompanion } from '../audit/service.js';
import type { AuditContext } from '../audit/types.js';
import { config } from '../config.js';
import { ValidationError } from '../errors.js';
import { dataKeys } from '../keyring/index.js';
import { assertSafeUrl, UnsafeUrlError } from '../net/safe-fetch.js';
import type { OAuthAppRecord } from '../store/oauth-apps.js';
import * as store from '../store/oauth-apps.js';
import { appTarget } from './app-views.js';
import { findProvider } from './catalog.js';
import { appSealRef } from './oauth.js';
import type { CreateOAuthAppInput } from './schemas.js';

/** An OAuth app's audit target: the tenant's app for a provider (ids are provider names, per tenant). */

export async function createOAuthApp(
  tenantId: string,
  input: CreateOAuthAppInput,
  ctx: AuditContext,
): Promise<OAuthAppRecord> {
  const known = findProvider(input.provider);
  if (known && input.custom) {
    throw new ValidationError([
      { path: 'body.custom', message: 'Catalog providers take no `custom` definition.' },
    ]);
  }
  if (!known && !input.custom) {
    throw new ValidationError([
      { path: 'body.custom', message: `'${input.provider}' is not in the catalog: define it in \`custom\`.` },
    ]);
  }
  // A tenant-chosen token URL is where the vault will send client secrets and refresh tokens; an
  // API base URL is where the proxy sends access tokens.
  const urls: [string, string | undefined][] = [
    ['custom.token_url', input.custom?.token_url],
    ['custom.authorization_url', input.custom?.authorization_url],
    ['custom.api_base_url', input.custom?.api_base_url],
    ['api_base_url', input.api_base_url],
  ];
  for (const [field, url] of urls) {
    if (url === undefined) continue;
    try {
      await assertSafeUrl(url, config.VAULT_MODE);
    } catch (err) {
      if (err instanceof UnsafeUrlError)
        throw new ValidationError([{ path: `body.${field}`, message: err.message }]);
      throw err;
    }
  }
  const app: OAuthAppRecord = {
    tenant_id: tenantId,
    provider: input.provider,
    client_id: input.client_id,
    client_secret_enc: '',
    scopes: input.scopes ?? null,
    redirect_urls: input.redirect_urls,
    url_params: input.url_params ?? {},
    custom: input.custom ?? null,
    ...(input.api_base_url ? { api_base_url: input.api_base_url } : {}),
    created_at: new Date().toISOString(),
  };
  app.client_secret_enc = await dataKeys.encrypt(appSealRef(app), input.client_secret);
  await store.insertOAuthApp(app, [
    auditCompanion(tenantId, ctx, 'oauth_app.create', appTarget(app.provider)),
  ]);
  return app;
}
