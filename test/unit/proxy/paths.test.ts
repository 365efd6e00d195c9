import { describe, expect, it } from 'vitest';
import { type AgentContext, assertAllowed, keyMatches, pathMatches } from '../../../lib/auth/agent-keys.js';
import { BadRequestError, ForbiddenError } from '../../../lib/errors.js';
import { checkProxyPath, joinUnderBase } from '../../../lib/proxy/paths.js';

describe('checkProxyPath', () => {
  it.each(['/', '/v1/items', '/files/a%20b', '/a/b/', '/x;y=1', '/@me', '/a:b'])('accepts %s', (p) => {
    // Act
    const checked = checkProxyPath(p);

    // Assess
    expect(checked).toBe(p);
  });
  it.each([
    'relative',
    '/a/../b',
    '/..',
    '/./a',
    '/a/%2e%2e/b',
    '/a/%2E/b',
    '/a%2Fb',
    '/a%5cb',
    '/a\\b',
    '//evil.example',
    '/a//b',
    '/a%00',
    '/a%zz',
    '/a\nb',
    '/a#frag',
  ])('refuses %j', (p) => {
    // Act
    const check = () => checkProxyPath(p);

    // Assess
    expect(check).toThrow(BadRequestError);
  });
});

describe('joinUnderBase', () => {
  it('appends the path and query under the base path', () => {
    // Act
    const nested = joinUnderBase('https://api.example.com/v2/', '/items/1', 'a=1');
    const root = joinUnderBase('https://api.example.com', '/', '');

    // Assess
    expect(nested.href).toBe('https://api.example.com/v2/items/1?a=1');
    expect(root.href).toBe('https://api.example.com/');
  });
  it('keeps an @ or : in the path on the base host', () => {
    // Act
    const at = joinUnderBase('https://api.example.com/v2', '/@evil.example/x', '');
    const colon = joinUnderBase('https://api.example.com', '/evil.example:443/x', '');

    // Assess
    expect(at.host).toBe('api.example.com');
    expect(colon.host).toBe('api.example.com');
  });
});

describe('agent allow-lists', () => {
  it('matches keys exactly or by a prefix ending in *', () => {
    // Act
    const results = [
      keyMatches('user-1', 'user-1'),
      keyMatches('user-1', 'user-10'),
      keyMatches('user-*', 'user-10'),
      keyMatches('user-*', 'team-1'),
      keyMatches('*', 'anything'),
    ];

    // Assess
    expect(results).toEqual([true, false, true, false, true]);
  });
  it('matches paths at segment boundaries', () => {
    // Act
    const results = [
      pathMatches('/files', '/files'),
      pathMatches('/files', '/files/x'),
      pathMatches('/files/', '/files/x'),
      pathMatches('/files', '/filesx'),
      pathMatches('/files', '/file'),
      pathMatches('/', '/anything'),
    ];

    // Assess
    expect(results).toEqual([true, true, true, false, false, true]);
  });
  it('needs one entry to cover provider, key, method and path together', () => {
    // Prepare
    const ctx: AgentContext = {
      kind: 'agent',
      tenantId: 't',
      keyId: 'k',
      expiresAt: Date.now() + 60_000,
      allow: [
        { provider: 'github', key: 'u-*', methods: ['GET'], paths: ['/repos'] },
        { provider: 'slack', key: 'team', paths: ['/chat.postMessage'] },
      ],
    };

    // Act
    const allowedGithub = () =>
      assertAllowed(ctx, { provider: 'github', key: 'u-1', method: 'GET', path: '/repos/a' });
    const allowedSlack = () =>
      assertAllowed(ctx, { provider: 'slack', key: 'team', method: 'POST', path: '/chat.postMessage' });
    const refused = [
      { provider: 'github', key: 'u-1', method: 'POST', path: '/repos' },
      { provider: 'github', key: 'v-1', method: 'GET', path: '/repos' },
      { provider: 'github', key: 'u-1', method: 'GET', path: '/user' },
      // GET from the first entry with the path of the second: no single entry allows it
      { provider: 'github', key: 'u-1', method: 'GET', path: '/chat.postMessage' },
      { provider: 'gitlab', key: 'u-1', method: 'GET', path: '/repos' },
    ];

    // Assess
    expect(allowedGithub).not.toThrow();
    expect(allowedSlack).not.toThrow();
    for (const call of refused)
      expect(() => assertAllowed(ctx, call), JSON.stringify(call)).toThrow(ForbiddenError);
  });
});
