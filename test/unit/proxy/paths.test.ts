import { describe, expect, it } from 'vitest';
import { type AgentContext, assertAllowed, keyMatches, pathMatches } from '../../../lib/auth/agent-keys.js';
import { BadRequestError, ForbiddenError } from '../../../lib/errors.js';
import { checkProxyPath, joinUnderBase } from '../../../lib/proxy/paths.js';

describe('checkProxyPath', () => {
  it.each(['/', '/v1/items', '/files/a%20b', '/a/b/', '/x;y=1', '/@me', '/a:b'])('accepts %s', (p) => {
    expect(checkProxyPath(p)).toBe(p);
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
    expect(() => checkProxyPath(p)).toThrow(BadRequestError);
  });
});

describe('joinUnderBase', () => {
  it('appends the path and query under the base path', () => {
    expect(joinUnderBase('https://api.example.com/v2/', '/items/1', 'a=1').href).toBe(
      'https://api.example.com/v2/items/1?a=1',
    );
    expect(joinUnderBase('https://api.example.com', '/', '').href).toBe('https://api.example.com/');
  });
  it('keeps an @ or : in the path on the base host', () => {
    expect(joinUnderBase('https://api.example.com/v2', '/@evil.example/x', '').host).toBe('api.example.com');
    expect(joinUnderBase('https://api.example.com', '/evil.example:443/x', '').host).toBe('api.example.com');
  });
});

describe('agent allow-lists', () => {
  it('matches keys exactly or by a prefix ending in *', () => {
    expect(keyMatches('user-1', 'user-1')).toBe(true);
    expect(keyMatches('user-1', 'user-10')).toBe(false);
    expect(keyMatches('user-*', 'user-10')).toBe(true);
    expect(keyMatches('user-*', 'team-1')).toBe(false);
    expect(keyMatches('*', 'anything')).toBe(true);
  });
  it('matches paths at segment boundaries', () => {
    expect(pathMatches('/files', '/files')).toBe(true);
    expect(pathMatches('/files', '/files/x')).toBe(true);
    expect(pathMatches('/files/', '/files/x')).toBe(true);
    expect(pathMatches('/files', '/filesx')).toBe(false);
    expect(pathMatches('/files', '/file')).toBe(false);
    expect(pathMatches('/', '/anything')).toBe(true);
  });
  it('needs one entry to cover provider, key, method and path together', () => {
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
    expect(() =>
      assertAllowed(ctx, { provider: 'github', key: 'u-1', method: 'GET', path: '/repos/a' }),
    ).not.toThrow();
    expect(() =>
      assertAllowed(ctx, { provider: 'slack', key: 'team', method: 'POST', path: '/chat.postMessage' }),
    ).not.toThrow();
    for (const call of [
      { provider: 'github', key: 'u-1', method: 'POST', path: '/repos' },
      { provider: 'github', key: 'v-1', method: 'GET', path: '/repos' },
      { provider: 'github', key: 'u-1', method: 'GET', path: '/user' },
      // GET from the first entry with the path of the second: no single entry allows it
      { provider: 'github', key: 'u-1', method: 'GET', path: '/chat.postMessage' },
      { provider: 'gitlab', key: 'u-1', method: 'GET', path: '/repos' },
    ])
      expect(() => assertAllowed(ctx, call), JSON.stringify(call)).toThrow(ForbiddenError);
  });
});
