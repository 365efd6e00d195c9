import type { components, operations } from './generated/openapi.js';

// Names for the generated types (src/generated/openapi.ts, made from the OpenAPI document).

type S = components['schemas'];
type QueryOf<Op extends keyof operations> = NonNullable<operations[Op]['parameters']['query']>;

export type Token = S['Token'];
export type TokenWithSecrets = S['TokenWithSecrets'];
/** A refreshed token: its secrets only for a key that may read them (tokens:read or admin). */
export type RefreshedToken = S['RefreshedToken'];
export type CreateTokenParams = S['CreateTokenRequest'];
export type UpdateTokenParams = S['UpdateTokenRequest'];
export type ListTokensParams = Omit<QueryOf<'ListTokens'>, 'cursor'>;

export type ApiKey = S['ApiKey'];
export type CreatedApiKey = S['CreatedApiKey'];
export type CreateApiKeyParams = S['CreateApiKeyRequest'];

export type OAuthApp = S['OAuthApp'];
export type CreateOAuthAppParams = S['CreateOAuthAppRequest'];

export type ConnectSession = S['ConnectSession'];
export type CreateConnectSessionParams = S['CreateConnectSessionRequest'];
export type ExchangeConnectCodeParams = S['ExchangeConnectCodeRequest'];

export type Provider = S['Provider'];

export type Webhook = S['Webhook'];
export type WebhookWithSecret = S['WebhookWithSecret'];
export type CreateWebhookParams = S['CreateWebhookRequest'];
export type UpdateWebhookParams = S['UpdateWebhookRequest'];
export type WebhookDelivery = S['WebhookDelivery'];
export type WebhookTestResult = S['WebhookTestResult'];
export type ListDeliveriesParams = Omit<QueryOf<'ListWebhookDeliveries'>, 'cursor'>;

export type RegisterParams = S['RegisterRequest'];
export type RegisterResponse = S['RegisterResponse'];
export type DataKeyRotation = S['DataKeyRotation'];
export type Problem = S['Problem'];

/** The event types a webhook can subscribe to, plus `ping` (sent by a test delivery). */
export type WebhookEventType = CreateWebhookParams['events'][number] | 'ping';

/** A webhook payload, as verified by `verifyWebhook`. */
export interface WebhookEvent<T extends WebhookEventType = WebhookEventType> {
  type: T;
  timestamp: string;
  data: Record<string, unknown>;
}

export type PageParams = { limit?: number };
