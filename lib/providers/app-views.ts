import { auditCompanion } from '../audit/service.js';
import type { AuditContext } from '../audit/types.js';
import type { OAuthAppRecord } from '../store/oauth-apps.js';
import * as store from '../store/oauth-apps.js';
import { findProvider } from './catalog.js';

// Listing, showing and deleting a tenant's OAuth apps: apart from creating one (apps.ts), so that
// those functions' bundles hold no OAuth client and no outbound HTTP stack.

export const appTarget = (provider: string) => ({ type: 'oauth_app' as const, id: provider, provider });

/** What a client sees of an app: never the secret. */
export function toOAuthAppView(a: OAuthAppRecord, callbackUrl: string) {
  const known = a.custom ? undefined : findProvider(a.provider);
  return {
    provider: a.provider,
    client_id: a.client_id,
    scopes: a.scopes ?? known?.default_scopes ?? [],
    redirect_urls: a.redirect_urls,
    url_params: a.url_params,
    custom: a.custom,
    api_base_url: a.api_base_url ?? a.custom?.api_base_url ?? known?.api_base_url ?? null,
    callback_url: callbackUrl,
    created_at: a.created_at,
  };
}

/** A page of the tenant's OAuth apps. */
export const listOAuthApps = (tenantId: string, limit: number, cursor?: string) =>
  store.listOAuthApps(tenantId, limit, cursor);

/** Deletes the tenant's app for a provider; a missing one is a 404. */
export const deleteOAuthApp = (tenantId: string, provider: string, ctx: AuditContext) =>
  store.deleteOAuthApp(tenantId, provider, [
    auditCompanion(tenantId, ctx, 'oauth_app.delete', appTarget(provider)),
  ]);
