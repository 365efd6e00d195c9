import type * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { classify } from '../../../lib/providers/oauth.js';
import {
  InvalidTokenResponseError,
  safeErrorCode,
  TOKEN_BOUNDS,
  validateTokenResponse,
} from '../../../lib/providers/token-response.js';

const ok = (extra: Record<string, unknown> = {}) =>
  ({ access_token: 'at', token_type: 'bearer', expires_in: 3600, ...extra }) as oauth.TokenEndpointResponse;

const rejects = (r: oauth.TokenEndpointResponse) => {
  expect(() => validateTokenResponse(r)).toThrow(InvalidTokenResponseError);
  try {
    validateTokenResponse(r);
  } catch (err) {
    // A refresh records it as a retryable bad response; its message never echoes the value.
    expect(classify(err)).toMatchObject({ permanent: false, code: 'invalid_response' });
    expect((err as Error).message.length).toBeLessThan(120);
  }
};

describe('validateTokenResponse', () => {
  it('passes a normal response through unchanged', () => {
    // Prepare
    const r = ok({ refresh_token: 'rt', scope: 'read write' });

    // Act
    const validated = validateTokenResponse(r);
    const noExpiry = validateTokenResponse(ok({ expires_in: undefined }));

    // Assess
    expect(validated).toBe(r);
    expect(noExpiry.expires_in).toBeUndefined();
  });

  it('bounds token lengths', () => {
    // Prepare
    const max = 'a'.repeat(TOKEN_BOUNDS.tokenLength);

    // Act
    const longest = validateTokenResponse(ok({ access_token: max, refresh_token: max }));

    // Assess: the longest passes; rejects() validates each other response and checks its refusal.
    expect(longest.access_token).toBe(max);
    rejects(ok({ access_token: `${max}a` }));
    rejects(ok({ refresh_token: `${max}a` }));
    rejects(ok({ access_token: '' }));
    rejects(ok({ refresh_token: '' }));
    rejects(ok({ token_type: 'b'.repeat(TOKEN_BOUNDS.tokenTypeLength + 1) }));
  });

  it('bounds expires_in to 1 s .. 10 years, rounding a fraction down', () => {
    // Act
    const fraction = validateTokenResponse(ok({ expires_in: 3599.9 }));
    const longest = validateTokenResponse(ok({ expires_in: TOKEN_BOUNDS.expiresInMax }));

    // Assess: rejects() validates each out-of-bounds value and checks its refusal.
    expect(fraction.expires_in).toBe(3599);
    expect(longest.expires_in).toBe(TOKEN_BOUNDS.expiresInMax);
    for (const expires_in of [1e300, TOKEN_BOUNDS.expiresInMax + 1, 0, 0.5, -5, Number.NaN, Infinity, '60'])
      rejects(ok({ expires_in }));
  });

  it('bounds the scope: total size, count, each scope', () => {
    // Prepare
    const many = Array.from({ length: TOKEN_BOUNDS.scopeCount }, (_, i) => `s${i}`).join(',');

    // Act
    const most = validateTokenResponse(ok({ scope: many }));

    // Assess: rejects() validates each oversized scope and checks its refusal.
    expect(most.scope).toBe(many);
    rejects(ok({ scope: 'x'.repeat(300 * 1024) }));
    rejects(ok({ scope: 'x'.repeat(TOKEN_BOUNDS.scopeTotal + 1) }));
    rejects(ok({ scope: Array.from({ length: TOKEN_BOUNDS.scopeCount + 1 }, (_, i) => `s${i}`).join(' ') }));
    rejects(ok({ scope: `read ${'y'.repeat(TOKEN_BOUNDS.scopeLength + 1)}` }));
    rejects(ok({ scope: 42 }));
  });
});

describe('safeErrorCode', () => {
  it('cuts provider error text and strips it to a safe charset', () => {
    // Act
    const plain = safeErrorCode('invalid_grant');
    const long = safeErrorCode('x'.repeat(10_000));
    const unsafe = safeErrorCode('bad\r\n"code"<script>');
    const empty = [safeErrorCode(''), safeErrorCode(undefined)];

    // Assess
    expect(plain).toBe('invalid_grant');
    expect(long).toHaveLength(TOKEN_BOUNDS.errorCodeLength);
    expect(unsafe).toBe('bad___code__script_');
    expect(empty).toEqual(['invalid_response', 'invalid_response']);
  });
});
