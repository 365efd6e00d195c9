import * as z from 'zod';

/**
 * Static catalog of well-known OAuth 2.0 authorization-code providers.
 *
 * Field notes:
 * - `authorization_url` / `token_url` are https URLs without query strings; `{name}` marks a
 *   per-connection placeholder (listed in `url_params`) filled in by `resolveProviderUrls`.
 * - `revocation_url` is only set where the provider documents an endpoint that revokes a token
 *   passed in a POST body (RFC 7009 style). Non-standard revocations (bearer-authenticated calls,
 *   DELETE endpoints, app uninstall) are left out.
 * - `issuer` is only set where the provider documents its issuer identifier (OIDC discovery or
 *   RFC 8414 metadata), so an RFC 9207 `iss` in the authorization response can be checked.
 * - `api_base_url`: where the proxy sends API calls (https, no query; placeholders as above). Absent
 *   where the API host is per account (Salesforce's instance URL, DocuSign's base URI, Mailchimp's
 *   data centre): the OAuth app sets its own `api_base_url` then.
 * - `api_auth`: how the proxy presents the access token; absent means `Authorization: Bearer <token>`.
 * - `refresh`: 'none' = no refresh tokens; 'static' = the refresh token stays usable (a new one may
 *   still be returned, and is then stored); 'rotating' = each refresh returns a new refresh token
 *   and the previous one stops working, so refreshes must be serialized.
 */
export const providerSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  name: z.string().min(1),
  authorization_url: z.string(),
  token_url: z.string(),
  api_base_url: z.string().optional(),
  api_auth: z.strictObject({ header: z.string(), prefix: z.string() }).optional(),
  revocation_url: z.string().optional(),
  issuer: z.string().optional(),
  default_scopes: z.array(z.string()),
  scope_separator: z.enum([' ', ',', '+']),
  pkce: z.boolean(),
  token_auth: z.enum(['client_secret_basic', 'client_secret_post']),
  authorize_params: z.record(z.string(), z.string()),
  refresh: z.enum(['none', 'static', 'rotating']),
  url_params: z.array(z.string().regex(/^[a-z_]+$/)),
  docs_url: z.string().url(),
});

export type Provider = z.infer<typeof providerSchema>;

/** Sorted by id. */
export const PROVIDERS: readonly Provider[] = [
  {
    id: 'airtable',
    name: 'Airtable',
    authorization_url: 'https://airtable.com/oauth2/v1/authorize',
    token_url: 'https://airtable.com/oauth2/v1/token',
    api_base_url: 'https://api.airtable.com',
    default_scopes: ['data.records:read', 'schema.bases:read'],
    scope_separator: ' ',
    pkce: true, // required by Airtable
    token_auth: 'client_secret_basic',
    authorize_params: {},
    refresh: 'rotating',
    url_params: [],
    docs_url: 'https://airtable.com/developers/web/guides/oauth-integrations',
  },
  {
    id: 'asana',
    name: 'Asana',
    authorization_url: 'https://app.asana.com/-/oauth_authorize',
    token_url: 'https://app.asana.com/-/oauth_token',
    api_base_url: 'https://app.asana.com/api/1.0',
    revocation_url: 'https://app.asana.com/-/oauth_revoke',
    // Apps registered for "Full permissions" get `default` when no scope is sent; apps registered
    // for granular scopes must request their own (e.g. 'tasks:read'); the two modes cannot be mixed.
    default_scopes: [],
    scope_separator: ' ',
    pkce: true,
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'static',
    url_params: [],
    docs_url: 'https://developers.asana.com/docs/oauth',
  },
  {
    id: 'atlassian',
    name: 'Atlassian (Jira, Confluence)',
    authorization_url: 'https://auth.atlassian.com/authorize',
    token_url: 'https://auth.atlassian.com/oauth/token',
    api_base_url: 'https://api.atlassian.com',
    default_scopes: ['offline_access', 'read:me'],
    scope_separator: ' ',
    pkce: false,
    token_auth: 'client_secret_post',
    authorize_params: { audience: 'api.atlassian.com', prompt: 'consent' },
    refresh: 'rotating',
    url_params: [],
    docs_url: 'https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/',
  },
  {
    id: 'bitbucket',
    name: 'Bitbucket Cloud',
    authorization_url: 'https://bitbucket.org/site/oauth2/authorize',
    token_url: 'https://bitbucket.org/site/oauth2/access_token',
    api_base_url: 'https://api.bitbucket.org/2.0',
    default_scopes: [], // permissions are configured on the OAuth consumer
    scope_separator: ' ',
    pkce: false,
    token_auth: 'client_secret_basic',
    authorize_params: {},
    refresh: 'static',
    url_params: [],
    docs_url: 'https://developer.atlassian.com/cloud/bitbucket/oauth-2/',
  },
  {
    id: 'box',
    name: 'Box',
    authorization_url: 'https://account.box.com/api/oauth2/authorize',
    token_url: 'https://api.box.com/oauth2/token',
    api_base_url: 'https://api.box.com/2.0',
    revocation_url: 'https://api.box.com/oauth2/revoke',
    default_scopes: [], // scopes are configured on the app
    scope_separator: ' ',
    pkce: false,
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'rotating', // single use, valid 60 days
    url_params: [],
    docs_url: 'https://developer.box.com/guides/authentication/oauth2/',
  },
  {
    id: 'calendly',
    name: 'Calendly',
    authorization_url: 'https://auth.calendly.com/oauth/authorize',
    token_url: 'https://auth.calendly.com/oauth/token',
    api_base_url: 'https://api.calendly.com',
    revocation_url: 'https://auth.calendly.com/oauth/revoke',
    // Apps created after scopes shipped (March 2026) get no API access until scopes are requested.
    default_scopes: [],
    scope_separator: ' ',
    pkce: true,
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'rotating', // single-use refresh tokens
    url_params: [],
    docs_url: 'https://developer.calendly.com/docs/authentication/creating-an-oauth-app',
  },
  {
    id: 'clickup',
    name: 'ClickUp',
    authorization_url: 'https://app.clickup.com/api',
    token_url: 'https://api.clickup.com/api/v2/oauth/token',
    api_base_url: 'https://api.clickup.com/api/v2',
    default_scopes: [], // ClickUp has no OAuth scopes
    scope_separator: ' ',
    pkce: false,
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'none', // access tokens do not expire
    url_params: [],
    docs_url: 'https://developer.clickup.com/docs/authentication',
  },
  {
    id: 'discord',
    name: 'Discord',
    authorization_url: 'https://discord.com/api/oauth2/authorize',
    token_url: 'https://discord.com/api/oauth2/token',
    api_base_url: 'https://discord.com/api/v10',
    revocation_url: 'https://discord.com/api/oauth2/token/revoke',
    issuer: 'https://discord.com', // RFC 8414 metadata; advertises authorization_response_iss_parameter_supported
    default_scopes: ['identify'],
    scope_separator: ' ',
    pkce: true,
    token_auth: 'client_secret_basic',
    authorize_params: {},
    refresh: 'static',
    url_params: [],
    docs_url: 'https://docs.discord.com/developers/topics/oauth2',
  },
  {
    id: 'docusign',
    name: 'Docusign',
    authorization_url: 'https://account.docusign.com/oauth/auth', // developer accounts: account-d.docusign.com
    token_url: 'https://account.docusign.com/oauth/token',
    default_scopes: ['signature', 'extended'], // `extended` keeps extending the refresh token's lifetime
    scope_separator: ' ',
    pkce: true,
    token_auth: 'client_secret_basic',
    authorize_params: {},
    refresh: 'static',
    url_params: [],
    docs_url: 'https://developers.docusign.com/platform/auth/confidential-authcode-get-token/',
  },
  {
    id: 'dropbox',
    name: 'Dropbox',
    authorization_url: 'https://www.dropbox.com/oauth2/authorize',
    token_url: 'https://api.dropboxapi.com/oauth2/token',
    api_base_url: 'https://api.dropboxapi.com',
    default_scopes: [], // empty = every scope enabled on the app
    scope_separator: ' ',
    pkce: true,
    token_auth: 'client_secret_basic',
    authorize_params: { token_access_type: 'offline' },
    refresh: 'static',
    url_params: [],
    docs_url: 'https://developers.dropbox.com/oauth-guide',
  },
  {
    id: 'facebook',
    name: 'Facebook (Meta)',
    // Unversioned endpoints use the app's default Graph API version.
    authorization_url: 'https://www.facebook.com/dialog/oauth',
    token_url: 'https://graph.facebook.com/oauth/access_token',
    api_base_url: 'https://graph.facebook.com',
    default_scopes: ['public_profile'],
    scope_separator: ',',
    pkce: false,
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'none', // long-lived tokens are obtained by token exchange, not refresh tokens
    url_params: [],
    docs_url: 'https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow',
  },
  {
    id: 'figma',
    name: 'Figma',
    authorization_url: 'https://www.figma.com/oauth',
    // Code exchange endpoint; Figma documents refreshes at https://api.figma.com/v1/oauth/refresh.
    token_url: 'https://api.figma.com/v1/oauth/token',
    api_base_url: 'https://api.figma.com',
    default_scopes: ['current_user:read'],
    scope_separator: ',',
    pkce: false,
    token_auth: 'client_secret_basic',
    authorize_params: {},
    refresh: 'static', // refresh responses carry no new refresh token
    url_params: [],
    docs_url: 'https://developers.figma.com/docs/rest-api/authentication/',
  },
  {
    id: 'github',
    name: 'GitHub',
    authorization_url: 'https://github.com/login/oauth/authorize',
    token_url: 'https://github.com/login/oauth/access_token',
    api_base_url: 'https://api.github.com',
    default_scopes: ['read:user'],
    scope_separator: ' ',
    pkce: true, // S256 supported since July 2025
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'none', // OAuth apps: tokens do not expire (GitHub Apps with expiring tokens differ)
    url_params: [],
    docs_url: 'https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps',
  },
  {
    id: 'gitlab',
    name: 'GitLab.com',
    authorization_url: 'https://gitlab.com/oauth/authorize',
    token_url: 'https://gitlab.com/oauth/token',
    api_base_url: 'https://gitlab.com/api/v4',
    revocation_url: 'https://gitlab.com/oauth/revoke',
    issuer: 'https://gitlab.com',
    default_scopes: ['read_user'],
    scope_separator: ' ',
    pkce: true,
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'rotating',
    url_params: [],
    docs_url: 'https://docs.gitlab.com/api/oauth2/',
  },
  {
    id: 'google',
    name: 'Google',
    authorization_url: 'https://accounts.google.com/o/oauth2/v2/auth',
    token_url: 'https://oauth2.googleapis.com/token',
    api_base_url: 'https://www.googleapis.com',
    revocation_url: 'https://oauth2.googleapis.com/revoke',
    issuer: 'https://accounts.google.com',
    default_scopes: ['https://www.googleapis.com/auth/userinfo.email'],
    scope_separator: ' ',
    pkce: true,
    token_auth: 'client_secret_post',
    authorize_params: { access_type: 'offline', prompt: 'consent' },
    refresh: 'static',
    url_params: [],
    docs_url: 'https://developers.google.com/identity/protocols/oauth2/web-server',
  },
  {
    id: 'hubspot',
    name: 'HubSpot',
    authorization_url: 'https://app.hubspot.com/oauth/authorize',
    // Date-versioned OAuth API; the legacy /oauth/v1/token is sunset on 2027-02-16.
    token_url: 'https://api.hubapi.com/oauth/2026-03/token',
    api_base_url: 'https://api.hubapi.com',
    revocation_url: 'https://api.hubapi.com/oauth/2026-03/token/revoke',
    default_scopes: ['oauth'],
    scope_separator: ' ',
    pkce: true,
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'static',
    url_params: [],
    docs_url: 'https://developers.hubspot.com/docs/api-reference/latest/authentication/manage-oauth-tokens',
  },
  {
    id: 'intercom',
    name: 'Intercom',
    authorization_url: 'https://app.intercom.com/oauth', // US region; EU/AU workspaces use regional hosts
    token_url: 'https://api.intercom.io/auth/eagle/token',
    api_base_url: 'https://api.intercom.io',
    default_scopes: [], // permissions are configured on the app
    scope_separator: ' ',
    pkce: false,
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'none', // access tokens do not expire
    url_params: [],
    docs_url:
      'https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/setting-up-oauth',
  },
  {
    id: 'linear',
    name: 'Linear',
    authorization_url: 'https://linear.app/oauth/authorize',
    token_url: 'https://api.linear.app/oauth/token',
    api_base_url: 'https://api.linear.app',
    revocation_url: 'https://api.linear.app/oauth/revoke',
    default_scopes: ['read'],
    scope_separator: ',',
    pkce: true,
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'rotating', // refresh tokens mandatory for all apps since 2026-04-01; 24h access tokens
    url_params: [],
    docs_url: 'https://linear.app/developers/oauth-2-0-authentication',
  },
  {
    id: 'linkedin',
    name: 'LinkedIn',
    authorization_url: 'https://www.linkedin.com/oauth/v2/authorization',
    token_url: 'https://www.linkedin.com/oauth/v2/accessToken',
    api_base_url: 'https://api.linkedin.com',
    revocation_url: 'https://www.linkedin.com/oauth/v2/revoke',
    default_scopes: [], // available scopes depend on the products enabled on the app
    scope_separator: ' ',
    pkce: false,
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'static', // refresh tokens only for approved partners; the refresh token keeps its TTL
    url_params: [],
    docs_url: 'https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow',
  },
  {
    id: 'mailchimp',
    name: 'Mailchimp',
    authorization_url: 'https://login.mailchimp.com/oauth2/authorize',
    token_url: 'https://login.mailchimp.com/oauth2/token',
    default_scopes: [], // Mailchimp has no OAuth scopes
    scope_separator: ' ',
    pkce: false,
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'none', // access tokens do not expire
    url_params: [],
    docs_url: 'https://mailchimp.com/developer/marketing/guides/access-user-data-oauth-2/',
  },
  {
    id: 'microsoft',
    name: 'Microsoft (Entra ID / Microsoft Graph)',
    authorization_url: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
    token_url: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    api_base_url: 'https://graph.microsoft.com',
    // No fixed issuer: with the `common` tenant the issuer names the user's tenant.
    default_scopes: ['offline_access', 'User.Read'],
    scope_separator: ' ',
    pkce: true,
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'rotating',
    url_params: [],
    docs_url: 'https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow',
  },
  {
    id: 'miro',
    name: 'Miro',
    authorization_url: 'https://miro.com/oauth/authorize',
    token_url: 'https://api.miro.com/v1/oauth/token',
    api_base_url: 'https://api.miro.com',
    default_scopes: [], // scopes are configured on the app
    scope_separator: ' ',
    pkce: false,
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'rotating', // apps with expiring tokens: each refresh invalidates the old pair
    url_params: [],
    docs_url: 'https://developers.miro.com/reference/oauth-20-authorization-v2',
  },
  {
    id: 'notion',
    name: 'Notion',
    authorization_url: 'https://api.notion.com/v1/oauth/authorize',
    token_url: 'https://api.notion.com/v1/oauth/token',
    api_base_url: 'https://api.notion.com',
    revocation_url: 'https://api.notion.com/v1/oauth/revoke',
    default_scopes: [], // capabilities are configured on the integration
    scope_separator: ' ',
    pkce: false,
    token_auth: 'client_secret_basic',
    authorize_params: { owner: 'user' },
    refresh: 'rotating', // refreshing returns a new access token and a new refresh token
    url_params: [],
    docs_url: 'https://developers.notion.com/guides/get-started/authorization',
  },
  {
    id: 'pipedrive',
    name: 'Pipedrive',
    authorization_url: 'https://oauth.pipedrive.com/oauth/authorize',
    token_url: 'https://oauth.pipedrive.com/oauth/token',
    api_base_url: 'https://api.pipedrive.com',
    revocation_url: 'https://oauth.pipedrive.com/oauth/revoke',
    default_scopes: [], // scopes are configured on the app
    scope_separator: ' ',
    pkce: false,
    token_auth: 'client_secret_basic',
    authorize_params: {},
    refresh: 'static',
    url_params: [],
    docs_url: 'https://pipedrive.readme.io/docs/marketplace-oauth-authorization',
  },
  {
    id: 'quickbooks',
    name: 'QuickBooks Online (Intuit)',
    authorization_url: 'https://appcenter.intuit.com/connect/oauth2',
    token_url: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
    api_base_url: 'https://quickbooks.api.intuit.com',
    revocation_url: 'https://developer.api.intuit.com/v2/oauth2/tokens/revoke',
    default_scopes: ['com.intuit.quickbooks.accounting'],
    scope_separator: ' ',
    pkce: false,
    token_auth: 'client_secret_basic',
    authorize_params: {},
    refresh: 'rotating',
    url_params: [],
    docs_url:
      'https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0',
  },
  {
    id: 'reddit',
    name: 'Reddit',
    authorization_url: 'https://www.reddit.com/api/v1/authorize',
    token_url: 'https://www.reddit.com/api/v1/access_token',
    api_base_url: 'https://oauth.reddit.com',
    revocation_url: 'https://www.reddit.com/api/v1/revoke_token',
    default_scopes: ['identity'],
    scope_separator: ' ',
    pkce: false,
    token_auth: 'client_secret_basic',
    authorize_params: { duration: 'permanent' },
    refresh: 'static',
    url_params: [],
    docs_url: 'https://github.com/reddit-archive/reddit/wiki/OAuth2',
  },
  {
    id: 'salesforce',
    name: 'Salesforce',
    authorization_url: 'https://login.salesforce.com/services/oauth2/authorize', // sandboxes: test.salesforce.com
    token_url: 'https://login.salesforce.com/services/oauth2/token',
    revocation_url: 'https://login.salesforce.com/services/oauth2/revoke',
    default_scopes: ['api', 'refresh_token'],
    scope_separator: ' ',
    pkce: true,
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'static', // unless refresh token rotation is enabled on the connected app
    url_params: [],
    docs_url: 'https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm&type=5',
  },
  {
    id: 'shopify',
    name: 'Shopify',
    authorization_url: 'https://{shop}.myshopify.com/admin/oauth/authorize',
    token_url: 'https://{shop}.myshopify.com/admin/oauth/access_token',
    api_base_url: 'https://{shop}.myshopify.com/admin/api',
    api_auth: { header: 'X-Shopify-Access-Token', prefix: '' },
    default_scopes: ['read_products'],
    scope_separator: ',',
    pkce: false,
    token_auth: 'client_secret_post',
    authorize_params: {},
    // Expiring offline tokens (requested with `expiring=1` in the code exchange, required for public
    // apps) come with a refresh token that Shopify replaces on every use.
    refresh: 'rotating',
    url_params: ['shop'],
    docs_url:
      'https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant',
  },
  {
    id: 'slack',
    name: 'Slack',
    authorization_url: 'https://slack.com/oauth/v2/authorize',
    token_url: 'https://slack.com/api/oauth.v2.access',
    api_base_url: 'https://slack.com/api',
    default_scopes: ['chat:write'], // bot scopes; user scopes go in `user_scope`
    scope_separator: ',',
    pkce: false, // opt-in per app, and enabling it turns the app into a public client
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'rotating', // only when token rotation is enabled; otherwise tokens do not expire
    url_params: [],
    docs_url: 'https://docs.slack.dev/authentication/installing-with-oauth',
  },
  {
    id: 'spotify',
    name: 'Spotify',
    authorization_url: 'https://accounts.spotify.com/authorize',
    token_url: 'https://accounts.spotify.com/api/token',
    api_base_url: 'https://api.spotify.com',
    default_scopes: ['user-read-email'],
    scope_separator: ' ',
    pkce: true,
    token_auth: 'client_secret_basic',
    authorize_params: {},
    refresh: 'static', // a refresh response may include a new refresh token
    url_params: [],
    docs_url: 'https://developer.spotify.com/documentation/web-api/tutorials/code-flow',
  },
  {
    id: 'strava',
    name: 'Strava',
    authorization_url: 'https://www.strava.com/oauth/authorize',
    token_url: 'https://www.strava.com/oauth/token',
    api_base_url: 'https://www.strava.com/api/v3',
    default_scopes: ['read'],
    scope_separator: ',',
    pkce: false,
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'rotating', // once a new refresh token is returned, the older one no longer works
    url_params: [],
    docs_url: 'https://developers.strava.com/docs/authentication/',
  },
  {
    id: 'stripe-connect',
    name: 'Stripe Connect',
    authorization_url: 'https://connect.stripe.com/oauth/authorize',
    token_url: 'https://connect.stripe.com/oauth/token', // client_secret is the platform's secret key
    api_base_url: 'https://api.stripe.com',
    default_scopes: ['read_write'],
    scope_separator: ' ',
    pkce: false,
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'static',
    url_params: [],
    docs_url: 'https://docs.stripe.com/connect/oauth-reference',
  },
  {
    id: 'twitch',
    name: 'Twitch',
    authorization_url: 'https://id.twitch.tv/oauth2/authorize',
    token_url: 'https://id.twitch.tv/oauth2/token',
    api_base_url: 'https://api.twitch.tv/helix',
    revocation_url: 'https://id.twitch.tv/oauth2/revoke',
    default_scopes: ['user:read:email'],
    scope_separator: ' ',
    pkce: false,
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'static',
    url_params: [],
    docs_url: 'https://dev.twitch.tv/docs/authentication/getting-tokens-oauth/',
  },
  {
    id: 'twitter',
    name: 'X (Twitter)',
    authorization_url: 'https://x.com/i/oauth2/authorize',
    token_url: 'https://api.x.com/2/oauth2/token',
    api_base_url: 'https://api.x.com',
    revocation_url: 'https://api.x.com/2/oauth2/revoke',
    default_scopes: ['tweet.read', 'users.read', 'offline.access'],
    scope_separator: ' ',
    pkce: true, // required
    token_auth: 'client_secret_basic', // confidential clients
    authorize_params: {},
    refresh: 'rotating',
    url_params: [],
    docs_url: 'https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token',
  },
  {
    id: 'typeform',
    name: 'Typeform',
    authorization_url: 'https://api.typeform.com/oauth/authorize', // EU data center: api.typeform.eu
    token_url: 'https://api.typeform.com/oauth/token',
    api_base_url: 'https://api.typeform.com',
    default_scopes: ['accounts:read', 'offline'], // `offline` is needed for a refresh token
    scope_separator: ' ',
    pkce: false,
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'static',
    url_params: [],
    docs_url: 'https://www.typeform.com/developers/get-started/applications/',
  },
  {
    id: 'webflow',
    name: 'Webflow',
    authorization_url: 'https://webflow.com/oauth/authorize',
    token_url: 'https://api.webflow.com/oauth/access_token',
    api_base_url: 'https://api.webflow.com',
    default_scopes: ['sites:read'],
    scope_separator: ' ',
    pkce: false,
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'none', // access tokens do not expire
    url_params: [],
    docs_url: 'https://developers.webflow.com/data/reference/oauth-app',
  },
  {
    id: 'xero',
    name: 'Xero',
    authorization_url: 'https://login.xero.com/identity/connect/authorize',
    token_url: 'https://identity.xero.com/connect/token',
    api_base_url: 'https://api.xero.com',
    revocation_url: 'https://identity.xero.com/connect/revocation',
    default_scopes: ['offline_access', 'accounting.settings.read'],
    scope_separator: ' ',
    pkce: true,
    token_auth: 'client_secret_basic',
    authorize_params: {},
    refresh: 'rotating',
    url_params: [],
    docs_url: 'https://developer.xero.com/documentation/guides/oauth2/auth-flow/',
  },
  {
    id: 'zendesk',
    name: 'Zendesk',
    authorization_url: 'https://{subdomain}.zendesk.com/oauth/authorizations/new',
    token_url: 'https://{subdomain}.zendesk.com/oauth/tokens',
    api_base_url: 'https://{subdomain}.zendesk.com/api/v2',
    default_scopes: ['read'],
    scope_separator: ' ',
    pkce: true,
    token_auth: 'client_secret_post',
    authorize_params: {},
    refresh: 'rotating', // a refresh deletes the previous access and refresh tokens
    url_params: ['subdomain'],
    docs_url: 'https://support.zendesk.com/hc/en-us/articles/4408845965210',
  },
  {
    id: 'zoom',
    name: 'Zoom',
    authorization_url: 'https://zoom.us/oauth/authorize',
    token_url: 'https://zoom.us/oauth/token',
    api_base_url: 'https://api.zoom.us/v2',
    revocation_url: 'https://zoom.us/oauth/revoke',
    default_scopes: [], // scopes are configured on the app
    scope_separator: ' ',
    pkce: true,
    token_auth: 'client_secret_basic',
    authorize_params: {},
    refresh: 'rotating',
    url_params: [],
    docs_url: 'https://developers.zoom.us/docs/integrations/oauth/',
  },
];

const BY_ID: ReadonlyMap<string, Provider> = new Map(PROVIDERS.map((p) => [p.id, p]));

export function findProvider(id: string): Provider | undefined {
  return BY_ID.get(id);
}

/** Thrown by `resolveProviderUrls` for a missing, unexpected or malformed URL parameter value. */
export class UrlParamError extends Error {
  override readonly name = 'UrlParamError';
  readonly param: string;

  constructor(param: string, message: string) {
    super(message);
    this.param = param;
  }
}

/** One DNS label-ish token: can never carry a host, path, port, userinfo or extra label. */
const URL_PARAM_VALUE = /^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}$/;

/**
 * Substitutes {placeholders} in a provider's URLs. Each value must be a single DNS label-ish token:
 * /^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}$/ (so a value can never inject a host, path, '.', '/', '@' or ':').
 * Throws `UrlParamError` for a missing, extra, or invalid value. Returns the provider's
 * authorization_url, token_url and revocation_url (if any) with values substituted.
 */
export function resolveProviderUrls(
  p: Provider,
  params: Record<string, string>,
): { authorization_url: string; token_url: string; revocation_url?: string; api_base_url?: string } {
  for (const key of Object.keys(params)) {
    if (!p.url_params.includes(key)) {
      throw new UrlParamError(key, `Unexpected URL parameter "${key}" for provider "${p.id}"`);
    }
  }
  for (const name of p.url_params) {
    const value: unknown = Object.hasOwn(params, name) ? params[name] : undefined;
    if (value === undefined) {
      throw new UrlParamError(name, `Missing URL parameter "${name}" for provider "${p.id}"`);
    }
    if (typeof value !== 'string' || !URL_PARAM_VALUE.test(value)) {
      throw new UrlParamError(
        name,
        `Invalid value for URL parameter "${name}" of provider "${p.id}": expected 1-63 letters, digits or hyphens, not starting with a hyphen`,
      );
    }
  }

  const resolve = (template: string): string => {
    let url = template;
    for (const name of p.url_params) url = url.replaceAll(`{${name}}`, params[name] as string);
    if (/[{}]/.test(url) || new URL(url).protocol !== 'https:') {
      throw new Error(`Provider "${p.id}" has a malformed URL template: ${template}`);
    }
    return url;
  };

  const resolved: {
    authorization_url: string;
    token_url: string;
    revocation_url?: string;
    api_base_url?: string;
  } = {
    authorization_url: resolve(p.authorization_url),
    token_url: resolve(p.token_url),
  };
  if (p.revocation_url !== undefined) resolved.revocation_url = resolve(p.revocation_url);
  if (p.api_base_url !== undefined) resolved.api_base_url = resolve(p.api_base_url);
  return resolved;
}
