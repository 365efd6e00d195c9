import * as z from 'zod';
import { boundedRecord, isoTime, listOf } from '../schemas.js';
import { providerId } from '../tokens/schemas.js';
import { providerSchema } from './catalog.js';

const webUrl = z.url({ protocol: /^https?$/ }).max(2048);
const urlParams = boundedRecord(
  z
    .string()
    .max(64)
    .regex(/^[a-z_]+$/),
  z
    .string()
    .max(63)
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}$/),
  10,
).describe('Values for a provider\'s URL placeholders, e.g. {"shop": "acme"} for Shopify.');

const apiBaseUrl = webUrl.describe(
  'Where the proxy sends API calls (`/v1/proxy/{provider}/...`). Must be https and resolve to a public address when deployed.',
);

/** A provider that is not in the catalog: any OAuth 2.0 authorization server. */
export const customProviderSchema = z
  .strictObject({
    name: z.string().min(1).max(100),
    authorization_url: webUrl,
    token_url: webUrl.describe('Must be https and resolve to a public address when deployed.'),
    scope_separator: z.enum([' ', ',', '+']).default(' '),
    pkce: z.boolean().default(true),
    token_auth: z.enum(['client_secret_basic', 'client_secret_post']).default('client_secret_basic'),
    authorize_params: boundedRecord(z.string().max(100), z.string().max(500), 20).default({}),
    issuer: z.string().max(2048).optional().describe('Expected `iss` in authorization responses (RFC 9207).'),
    api_base_url: apiBaseUrl.optional(),
  })
  .meta({ id: 'CustomProvider' });

export const createOAuthAppBody = z
  .strictObject({
    provider: providerId,
    client_id: z.string().min(1).max(1024),
    client_secret: z.string().min(1).max(4096),
    scopes: z
      .array(z.string().min(1).max(512))
      .max(100)
      .optional()
      .describe("Default: the provider's default scopes."),
    redirect_urls: z
      .array(webUrl)
      .min(1)
      .max(20)
      .describe(
        'Where the connect flow may send the browser back to (your app). A session’s redirect_url must start with one of these.',
      ),
    url_params: urlParams.optional(),
    api_base_url: apiBaseUrl
      .optional()
      .describe(
        "Overrides the catalog's API base URL for the proxy, e.g. a Salesforce org's instance URL. Must be https and resolve to a public address when deployed.",
      ),
    custom: customProviderSchema.optional().describe('Required when `provider` is not in the catalog.'),
  })
  .meta({ id: 'CreateOAuthAppRequest' });

export const oauthAppSchema = z
  .object({
    provider: z.string(),
    client_id: z.string(),
    scopes: z.array(z.string()),
    redirect_urls: z.array(z.string()),
    url_params: z.record(z.string(), z.string()),
    custom: customProviderSchema.nullable(),
    api_base_url: z.string().nullable().describe('The API base URL the proxy uses, if any.'),
    callback_url: z.string().describe('Register this redirect URI with the provider.'),
    created_at: isoTime,
  })
  .meta({ id: 'OAuthApp', description: 'An OAuth client registration; the secret is never returned.' });

export const oauthAppList = listOf(oauthAppSchema).meta({ id: 'OAuthAppList' });
export const providerList = z
  .object({ data: z.array(providerSchema.meta({ id: 'Provider' })) })
  .meta({ id: 'ProviderList' });

export const providerParams = z.strictObject({ provider: providerId });

export const createSessionBody = z
  .strictObject({
    provider: providerId,
    key: z.string().min(1).max(256).describe('Store the resulting token under this key.'),
    scopes: z.array(z.string().min(1).max(512)).max(100).optional(),
    redirect_url: webUrl.describe(
      "Where to send the browser afterwards; must match one of the OAuth app's redirect_urls.",
    ),
    url_params: urlParams.optional(),
    confirm: z
      .boolean()
      .default(true)
      .describe(
        'true (default): the callback returns a one-time `connect_code` and the token exists only once your ' +
          'backend exchanges it (POST /v1/connect/exchange), after checking that the browser that came back ' +
          'belongs to the user who started the session. false: the token is stored at the callback and ' +
          '`token_id` is returned; then a forwarded authorization link can attach someone else’s account ' +
          'to this key (RFC 6749 §10.12).',
      ),
  })
  .meta({ id: 'CreateConnectSessionRequest' });

export const sessionSchema = z
  .object({
    authorization_url: z.string().describe('Send the user’s browser here.'),
    expires_at: isoTime,
  })
  .meta({ id: 'ConnectSession' });

export const exchangeConnectBody = z
  .strictObject({
    connect_code: z
      .string()
      .min(1)
      .max(256)
      .describe(
        'The `connect_code` the callback added to your redirect_url. It works once, for ten minutes.',
      ),
  })
  .meta({
    id: 'ExchangeConnectCodeRequest',
    description:
      'Confirms a connection the app has tied to its own user. An unknown, used, expired or another ' +
      "tenant's code gets the same 400 problem, and another tenant's attempt does not use the code up.",
  });

export const callbackQuery = z.object({
  state: z.string().min(1).max(512),
  code: z.string().max(4096).optional(),
  error: z.string().max(256).optional(),
  error_description: z.string().max(2048).optional(),
  iss: z.string().max(2048).optional(),
});

export type CreateOAuthAppInput = z.infer<typeof createOAuthAppBody>;
export type CustomProvider = z.infer<typeof customProviderSchema>;
export type CreateSessionInput = z.infer<typeof createSessionBody>;
export type ExchangeConnectInput = z.infer<typeof exchangeConnectBody>;
