import type { components } from '../../sdk/src/generated/openapi.js';

// The dashboard's types come from the OpenAPI document, as the SDK's do: the same generated file
// (`npm run sdk:generate`; a test fails when it is stale). Runtime constants (scopes, event types)
// are imported from lib/ where they are defined.

type S = components['schemas'];

export type Token = S['Token'];
export type TokenWithSecrets = S['TokenWithSecrets'];
export type TokenList = S['TokenList'];
export type OAuthApp = S['OAuthApp'];
export type OAuthAppList = S['OAuthAppList'];
export type CreateOAuthAppRequest = S['CreateOAuthAppRequest'];
export type ApiKey = S['ApiKey'];
export type ApiKeyList = S['ApiKeyList'];
export type CreatedApiKey = S['CreatedApiKey'];
export type ConnectSession = S['ConnectSession'];
export type Webhook = S['Webhook'];
export type WebhookList = S['WebhookList'];
export type WebhookWithSecret = S['WebhookWithSecret'];
export type WebhookDelivery = S['WebhookDelivery'];
export type WebhookDeliveryList = S['WebhookDeliveryList'];
export type DashboardIdentity = S['DashboardIdentity'];
