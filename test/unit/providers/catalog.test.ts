import { describe, expect, it } from 'vitest';
import {
  findProvider,
  PROVIDERS,
  type Provider,
  providerSchema,
  resolveProviderUrls,
  UrlParamError,
} from '../../../lib/providers/catalog.js';

const REQUIRED_IDS = [
  'google',
  'microsoft',
  'github',
  'slack',
  'salesforce',
  'hubspot',
  'zoom',
  'dropbox',
  'box',
  'notion',
  'atlassian',
  'asana',
  'linear',
  'discord',
  'spotify',
  'twitter',
  'linkedin',
  'facebook',
  'shopify',
  'stripe-connect',
  'xero',
  'quickbooks',
  'intercom',
  'zendesk',
  'gitlab',
  'bitbucket',
  'figma',
  'airtable',
  'calendly',
  'docusign',
  'twitch',
];

const PLACEHOLDER = /\{([^{}]*)\}/g;

function urlsOf(p: Provider): string[] {
  return [
    p.authorization_url,
    p.token_url,
    ...(p.revocation_url === undefined ? [] : [p.revocation_url]),
    ...(p.api_base_url === undefined ? [] : [p.api_base_url]),
  ];
}

function placeholdersOf(p: Provider): Set<string> {
  const names = new Set<string>();
  for (const url of urlsOf(p)) for (const m of url.matchAll(PLACEHOLDER)) names.add(m[1] ?? '');
  return names;
}

function get(id: string): Provider {
  const p = findProvider(id);
  if (p === undefined) throw new Error(`provider ${id} missing from catalog`);
  return p;
}

function expectParamError(fn: () => unknown, param: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(UrlParamError);
  expect((caught as UrlParamError).param).toBe(param);
  expect((caught as UrlParamError).message).toContain(`"${param}"`);
}

describe('PROVIDERS', () => {
  it('has at least 31 providers, including every required one', () => {
    // Assess
    expect(PROVIDERS.length).toBeGreaterThanOrEqual(31);
    const ids = new Set(PROVIDERS.map((p) => p.id));
    expect(REQUIRED_IDS.filter((id) => !ids.has(id))).toEqual([]);
  });

  it.each(PROVIDERS.map((p) => [p.id, p] as const))('%s parses with providerSchema', (_id, p) => {
    // Act
    const result = providerSchema.safeParse(p);

    // Assess
    expect(result.success ? [] : result.error.issues).toEqual([]);
  });

  it('has unique ids', () => {
    // Act
    const ids = PROVIDERS.map((p) => p.id);

    // Assess
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it('is sorted by id', () => {
    // Act
    const ids = PROVIDERS.map((p) => p.id);

    // Assess
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });

  it.each(PROVIDERS.map((p) => [p.id, p] as const))(
    '%s: every URL is https once url_params are substituted',
    (_id, p) => {
      // Assess: every URL, with each placeholder substituted, checked in turn.
      for (const template of [...urlsOf(p), p.docs_url]) {
        let url = template;
        for (const name of p.url_params) url = url.replaceAll(`{${name}}`, 'example');
        expect(url, template).not.toMatch(/[{}]/);
        const parsed = new URL(url);
        expect(parsed.protocol, template).toBe('https:');
        expect(parsed.username + parsed.password, template).toBe('');
        expect(parsed.hostname, template).toMatch(/^[a-z0-9.-]+\.[a-z]{2,}$/);
      }
    },
  );

  it.each(PROVIDERS.map((p) => [p.id, p] as const))(
    '%s: placeholders in URLs exactly match url_params',
    (_id, p) => {
      // Assess
      expect([...placeholdersOf(p)].sort()).toEqual([...new Set(p.url_params)].sort());
      expect(new Set(p.url_params).size).toBe(p.url_params.length);
    },
  );

  it.each(PROVIDERS.map((p) => [p.id, p] as const))(
    '%s: authorization and token URLs carry no query or fragment (the vault appends parameters)',
    (_id, p) => {
      // Assess
      for (const url of urlsOf(p)) expect(url, url).not.toMatch(/[?#]/);
    },
  );

  it('only uses placeholders in the host of Shopify and Zendesk', () => {
    // Act
    const templated = PROVIDERS.filter((p) => p.url_params.length > 0).map((p) => p.id);

    // Assess
    expect(templated).toEqual(['shopify', 'zendesk']);
    expect(get('shopify').url_params).toEqual(['shop']);
    expect(get('zendesk').url_params).toEqual(['subdomain']);
  });

  it('records provider specifics the vault relies on', () => {
    // Act
    const google = get('google');

    // Assess
    expect(google.issuer).toBe('https://accounts.google.com');
    expect(google.authorize_params).toEqual({ access_type: 'offline', prompt: 'consent' });
    expect(google.default_scopes).not.toContain('openid');
    expect(google.refresh).toBe('static');

    expect(get('microsoft').authorization_url).toContain('/common/oauth2/v2.0/');
    expect(get('microsoft').url_params).toEqual([]);
    expect(get('github').refresh).toBe('none');
    expect(get('slack').authorization_url).toBe('https://slack.com/oauth/v2/authorize');
    expect(get('slack').token_url).toBe('https://slack.com/api/oauth.v2.access');
    expect(get('dropbox').authorize_params).toEqual({ token_access_type: 'offline' });

    const atlassian = get('atlassian');
    expect(atlassian.authorize_params).toEqual({ audience: 'api.atlassian.com', prompt: 'consent' });
    expect(atlassian.default_scopes).toContain('offline_access');
    expect(atlassian.refresh).toBe('rotating');

    const twitter = get('twitter');
    expect(twitter.pkce).toBe(true);
    expect(twitter.token_auth).toBe('client_secret_basic');
    expect(twitter.default_scopes).toContain('offline.access');

    expect(get('xero').default_scopes).toContain('offline_access');
    expect(get('airtable').pkce).toBe(true);
    for (const id of ['xero', 'twitter', 'airtable', 'quickbooks', 'atlassian', 'box', 'zoom', 'microsoft']) {
      expect(get(id).refresh, id).toBe('rotating');
    }
    for (const id of ['salesforce', 'google', 'dropbox', 'hubspot']) {
      expect(get(id).refresh, id).toBe('static');
    }
  });
});

describe('findProvider', () => {
  it('returns the catalog entry for a known id', () => {
    // Act
    const shopify = findProvider('shopify');
    const stripe = findProvider('stripe-connect');

    // Assess
    expect(shopify).toBe(PROVIDERS.find((p) => p.id === 'shopify'));
    expect(stripe?.name).toBe('Stripe Connect');
  });

  it('returns undefined for unknown ids', () => {
    // Act
    const found = ['nope', '', 'Google', '__proto__', 'toString'].map((id) => findProvider(id));

    // Assess
    expect(found).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('resolveProviderUrls', () => {
  const shopify = get('shopify');

  it("substitutes Shopify's shop into every URL", () => {
    // Act
    const urls = resolveProviderUrls(shopify, { shop: 'acme-store' });

    // Assess
    expect(urls).toEqual({
      authorization_url: 'https://acme-store.myshopify.com/admin/oauth/authorize',
      token_url: 'https://acme-store.myshopify.com/admin/oauth/access_token',
      api_base_url: 'https://acme-store.myshopify.com/admin/api',
    });
    expect(new URL(urls.token_url).hostname).toBe('acme-store.myshopify.com');
  });

  it("substitutes Zendesk's subdomain", () => {
    // Act
    const urls = resolveProviderUrls(get('zendesk'), { subdomain: 'Support1' });

    // Assess
    expect(urls.authorization_url).toBe('https://Support1.zendesk.com/oauth/authorizations/new');
    expect(urls.token_url).toBe('https://Support1.zendesk.com/oauth/tokens');
  });

  it('returns the URLs unchanged, including revocation_url, for a provider without url_params', () => {
    // Prepare
    const google = get('google');

    // Act
    const urls = resolveProviderUrls(google, {});
    const figma = resolveProviderUrls(get('figma'), {});

    // Assess
    expect(urls).toEqual({
      authorization_url: google.authorization_url,
      token_url: google.token_url,
      revocation_url: 'https://oauth2.googleapis.com/revoke',
      api_base_url: 'https://www.googleapis.com',
    });
    expect(figma).not.toHaveProperty('revocation_url');
  });

  it.each([
    ['evil.com/x'],
    ['a@b'],
    [''],
    ['evil.com'],
    ['a:443'],
    ['a/b'],
    ['-leading-hyphen'],
    ['x'.repeat(64)],
    ['acme#'],
    ['acme?x=1'],
    ['acme\n'],
    ['ünïcode'],
  ])('rejects shop value %j', (value) => {
    // Act
    const call = () => resolveProviderUrls(shopify, { shop: value });

    // Assess
    expectParamError(call, 'shop');
  });

  it('accepts a 63-character label', () => {
    // Prepare
    const label = `a${'b'.repeat(62)}`;

    // Act
    const urls = resolveProviderUrls(shopify, { shop: label });

    // Assess
    expect(urls.token_url).toContain(`//${label}.myshopify.com/`);
  });

  it('rejects a missing param', () => {
    // Act
    const calls = [
      () => resolveProviderUrls(shopify, {}),
      () => resolveProviderUrls(get('zendesk'), { shop: 'acme' }),
    ];

    // Assess
    for (const call of calls) expectParamError(call, 'shop');
  });

  it('rejects an unknown extra param', () => {
    // Act
    const extra = () => resolveProviderUrls(shopify, { shop: 'acme', subdomain: 'acme' });
    const unknown = () => resolveProviderUrls(get('google'), { tenant: 'common' });

    // Assess
    expectParamError(extra, 'subdomain');
    expectParamError(unknown, 'tenant');
  });

  it('does not read params from the prototype chain', () => {
    // Prepare
    const params = Object.create({ shop: 'inherited' }) as Record<string, string>;

    // Act
    const call = () => resolveProviderUrls(shopify, params);

    // Assess
    expectParamError(call, 'shop');
  });

  it('rejects a non-string value smuggled past the type system', () => {
    // Prepare
    const params = { shop: ['acme'] } as unknown as Record<string, string>;

    // Act
    const call = () => resolveProviderUrls(shopify, params);

    // Assess
    expectParamError(call, 'shop');
  });
});
