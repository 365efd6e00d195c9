import { type ClientOptions, HttpClient, type RequestOptions } from './http.js';
import { ListPromise, type Page } from './pagination.js';
import type {
  ApiKey,
  ConnectSession,
  CreateApiKeyParams,
  CreateConnectSessionParams,
  CreatedApiKey,
  CreateOAuthAppParams,
  CreateTokenParams,
  CreateWebhookParams,
  DataKeyRotation,
  ExchangeConnectCodeParams,
  ListDeliveriesParams,
  ListTokensParams,
  OAuthApp,
  PageParams,
  Provider,
  RefreshedToken,
  RegisterParams,
  RegisterResponse,
  Token,
  TokenWithSecrets,
  UpdateTokenParams,
  UpdateWebhookParams,
  Webhook,
  WebhookDelivery,
  WebhookTestResult,
  WebhookWithSecret,
} from './types.js';

export * from './errors.js';
export type { ClientOptions, RequestOptions } from './http.js';
export { parseRetryAfter } from './http.js';
export { ListPromise, type Page } from './pagination.js';
export type * from './types.js';
export { verifyWebhook, WebhookVerificationError } from './webhook-verify.js';

const seg = (s: string) => encodeURIComponent(s);

/**
 * The token vault's API. Methods resolve to the resource and throw a `VaultError` subclass on an
 * error; list methods are awaitable (one page) and async-iterable (every item).
 */
export class Vault {
  readonly tokens: Tokens;
  readonly connect: Connect;
  readonly oauthApps: OAuthApps;
  readonly webhooks: Webhooks;
  readonly apiKeys: ApiKeys;
  readonly providers: Providers;
  readonly tenant: Tenant;

  constructor(options: ClientOptions) {
    if (!options.apiKey) throw new TypeError('apiKey is required');
    const http = new HttpClient(options);
    this.tokens = new Tokens(http);
    this.connect = new Connect(http);
    this.oauthApps = new OAuthApps(http);
    this.webhooks = new Webhooks(http);
    this.apiKeys = new ApiKeys(http);
    this.providers = new Providers(http);
    this.tenant = new Tenant(http);
  }

  /** Creates a tenant and its first admin key (no API key needed; closed registration needs the operator secret). */
  static register(
    options: Omit<ClientOptions, 'apiKey'>,
    params: RegisterParams,
    extra: { registrationSecret?: string } & RequestOptions = {},
  ): Promise<RegisterResponse> {
    const { registrationSecret, ...rest } = extra;
    return new HttpClient(options).request('POST', '/v1/auth/register', {
      body: params,
      ...(registrationSecret ? { headers: { 'x-registration-secret': registrationSecret } } : {}),
      ...rest,
    });
  }
}

function list<T>(
  http: HttpClient,
  path: string,
  query: Record<string, string | number | undefined> = {},
  opts: RequestOptions = {},
): ListPromise<T> {
  return new ListPromise((cursor) =>
    http.request<Page<T>>('GET', path, { query: { ...query, cursor }, ...opts }),
  );
}

class Tokens {
  constructor(private readonly http: HttpClient) {}
  create(params: CreateTokenParams, opts?: RequestOptions): Promise<Token> {
    return this.http.request('POST', '/v1/tokens', { body: params, ...opts });
  }
  /** The token with its secrets, refreshed first if it expires soon. */
  get(id: string, opts?: RequestOptions): Promise<TokenWithSecrets> {
    return this.http.request('GET', `/v1/tokens/${seg(id)}`, opts);
  }
  list(params: ListTokensParams = {}, opts?: RequestOptions): ListPromise<Token> {
    return list(this.http, '/v1/tokens', params, opts);
  }
  update(id: string, params: UpdateTokenParams, opts?: RequestOptions): Promise<Token> {
    return this.http.request('PUT', `/v1/tokens/${seg(id)}`, { body: params, ...opts });
  }
  async delete(id: string, opts?: RequestOptions): Promise<void> {
    await this.http.request('DELETE', `/v1/tokens/${seg(id)}`, opts);
  }
  refresh(id: string, opts?: RequestOptions): Promise<RefreshedToken> {
    return this.http.request('POST', `/v1/tokens/${seg(id)}/refresh`, opts);
  }
}

class Connect {
  constructor(private readonly http: HttpClient) {}
  /** Starts connecting a user: send their browser to `authorization_url`. */
  createSession(params: CreateConnectSessionParams, opts?: RequestOptions): Promise<ConnectSession> {
    return this.http.request('POST', '/v1/connect/sessions', { body: params, ...opts });
  }
  /**
   * Confirms a connection with the one-time `connect_code` the browser brought back, once your
   * backend has checked that browser belongs to the user who started it. Returns the token's metadata.
   */
  exchange(connectCode: string, opts?: RequestOptions): Promise<Token> {
    const body: ExchangeConnectCodeParams = { connect_code: connectCode };
    return this.http.request('POST', '/v1/connect/exchange', { body, ...opts });
  }
}

class OAuthApps {
  constructor(private readonly http: HttpClient) {}
  create(params: CreateOAuthAppParams, opts?: RequestOptions): Promise<OAuthApp> {
    return this.http.request('POST', '/v1/oauth-apps', { body: params, ...opts });
  }
  list(params: PageParams = {}, opts?: RequestOptions): ListPromise<OAuthApp> {
    return list(this.http, '/v1/oauth-apps', params, opts);
  }
  async delete(provider: string, opts?: RequestOptions): Promise<void> {
    await this.http.request('DELETE', `/v1/oauth-apps/${seg(provider)}`, opts);
  }
}

class Webhooks {
  constructor(private readonly http: HttpClient) {}
  /** The response carries the signing secret, once. */
  create(params: CreateWebhookParams, opts?: RequestOptions): Promise<WebhookWithSecret> {
    return this.http.request('POST', '/v1/webhooks', { body: params, ...opts });
  }
  get(id: string, opts?: RequestOptions): Promise<Webhook> {
    return this.http.request('GET', `/v1/webhooks/${seg(id)}`, opts);
  }
  list(params: PageParams = {}, opts?: RequestOptions): ListPromise<Webhook> {
    return list(this.http, '/v1/webhooks', params, opts);
  }
  update(id: string, params: UpdateWebhookParams, opts?: RequestOptions): Promise<Webhook> {
    return this.http.request('PATCH', `/v1/webhooks/${seg(id)}`, { body: params, ...opts });
  }
  async delete(id: string, opts?: RequestOptions): Promise<void> {
    await this.http.request('DELETE', `/v1/webhooks/${seg(id)}`, opts);
  }
  rotateSecret(id: string, opts?: RequestOptions): Promise<WebhookWithSecret> {
    return this.http.request('POST', `/v1/webhooks/${seg(id)}/rotate-secret`, opts);
  }
  /** Sends a `ping` event to the endpoint. */
  test(id: string, opts?: RequestOptions): Promise<WebhookTestResult> {
    return this.http.request('POST', `/v1/webhooks/${seg(id)}/test`, opts);
  }
  /** The endpoint's delivery log, newest first. */
  deliveries(
    id: string,
    params: ListDeliveriesParams = {},
    opts?: RequestOptions,
  ): ListPromise<WebhookDelivery> {
    return list(this.http, `/v1/webhooks/${seg(id)}/deliveries`, params, opts);
  }
  retryDelivery(id: string, deliveryId: string, opts?: RequestOptions): Promise<WebhookDelivery> {
    return this.http.request('POST', `/v1/webhooks/${seg(id)}/deliveries/${seg(deliveryId)}/retry`, opts);
  }
}

class ApiKeys {
  constructor(private readonly http: HttpClient) {}
  /** The response carries the key (`api_key`), once. */
  create(params: CreateApiKeyParams, opts?: RequestOptions): Promise<CreatedApiKey> {
    return this.http.request('POST', '/v1/api-keys', { body: params, ...opts });
  }
  list(params: PageParams = {}, opts?: RequestOptions): ListPromise<ApiKey> {
    return list(this.http, '/v1/api-keys', params, opts);
  }
  async revoke(id: string, opts?: RequestOptions): Promise<void> {
    await this.http.request('DELETE', `/v1/api-keys/${seg(id)}`, opts);
  }
}

class Providers {
  constructor(private readonly http: HttpClient) {}
  async list(opts?: RequestOptions): Promise<Provider[]> {
    return (await this.http.request<{ data: Provider[] }>('GET', '/v1/providers', opts)).data;
  }
}

class Tenant {
  constructor(private readonly http: HttpClient) {}
  rotateDataKey(opts?: RequestOptions): Promise<DataKeyRotation> {
    return this.http.request('POST', '/v1/tenant/data-key/rotate', opts);
  }
}
