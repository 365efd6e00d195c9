import { describe, expect, it } from 'vitest';
import { isAllowedRedirect } from '../../../lib/connect/service.js';

// The connect flow's redirect allow-list: after the provider, the vault sends the user only to a
// URL with the same origin as one of the OAuth app's redirect_urls and a path at or under its path.

describe('isAllowedRedirect', () => {
  it.each([
    ['the exact URL', 'https://app.example.com/oauth/done', ['https://app.example.com/oauth/done']],
    ['a path under it', 'https://app.example.com/oauth/done/github', ['https://app.example.com/oauth/done']],
    [
      'a path under one ending in a slash',
      'https://app.example.com/oauth/x',
      ['https://app.example.com/oauth/'],
    ],
    [
      'the same path with a query',
      'https://app.example.com/oauth/done?tab=2',
      ['https://app.example.com/oauth/done'],
    ],
    ['any path under an origin-only entry', 'https://app.example.com/a/b', ['https://app.example.com']],
    ['the default port written out', 'https://app.example.com:443/cb', ['https://app.example.com/cb']],
    [
      'the second of several entries',
      'http://localhost:3000/cb',
      ['https://app.example.com/cb', 'http://localhost:3000/cb'],
    ],
    ['a host differing only in case', 'https://APP.example.com/cb', ['https://app.example.com/cb']],
  ])('allows %s', (_label, url, allowed) => {
    // Act
    const ok = isAllowedRedirect(url, allowed);

    // Assess
    expect(ok).toBe(true);
  });

  it.each([
    ['another host', 'https://evil.example.com/oauth/done', ['https://app.example.com/oauth/done']],
    [
      'a host with the allowed one as prefix',
      'https://app.example.com.evil.net/cb',
      ['https://app.example.com/cb'],
    ],
    ['userinfo pointing elsewhere', 'https://app.example.com@evil.net/cb', ['https://app.example.com/cb']],
    ['another scheme', 'http://app.example.com/cb', ['https://app.example.com/cb']],
    ['another port', 'https://app.example.com:8443/cb', ['https://app.example.com/cb']],
    [
      'a sibling path sharing the prefix',
      'https://app.example.com/oauth/done-evil',
      ['https://app.example.com/oauth/done'],
    ],
    ['a parent path', 'https://app.example.com/oauth', ['https://app.example.com/oauth/done']],
    [
      'the entry without its trailing slash',
      'https://app.example.com/oauth',
      ['https://app.example.com/oauth/'],
    ],
    [
      'a path escaping with dot segments',
      'https://app.example.com/oauth/done/../../admin',
      ['https://app.example.com/oauth/done'],
    ],
    ['an empty allow-list', 'https://app.example.com/cb', []],
  ])('refuses %s', (_label, url, allowed) => {
    // Act
    const ok = isAllowedRedirect(url, allowed);

    // Assess
    expect(ok).toBe(false);
  });

  it('throws on a URL that does not parse (the schema rejects it first)', () => {
    // Act
    const attempt = () => isAllowedRedirect('not a url', ['https://app.example.com/cb']);

    // Assess
    expect(attempt).toThrow(TypeError);
  });
});
