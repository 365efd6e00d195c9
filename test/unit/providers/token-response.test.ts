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
    const r = ok({ refresh_token: 'rt', scope: 'read write' });
    expect(validateTokenResponse(r)).toBe(r);
    expect(validateTokenResponse(ok({ expires_in: undefined })).expires_in).toBeUndefined();
  });

  it('bounds token lengths', () => {
    const max = 'a'.repeat(TOKEN_BOUNDS.tokenLength);
    expect(validateTokenResponse(ok({ access_token: max, refresh_token: max })).access_token).toBe(max);
    rejects(ok({ access_token: `${max}a` }));
    rejects(ok({ refresh_token: `${max}a` }));
    rejects(ok({ access_token: '' }));
    rejects(ok({ refresh_token: '' }));
    rejects(ok({ token_type: 'b'.repeat(TOKEN_BOUNDS.tokenTypeLength + 1) }));
  });

  it('bounds expires_in to 1 s .. 10 years, rounding a fraction down', () => {
    expect(validateTokenResponse(ok({ expires_in: 3599.9 })).expires_in).toBe(3599);
    expect(validateTokenResponse(ok({ expires_in: TOKEN_BOUNDS.expiresInMax })).expires_in).toBe(
      TOKEN_BOUNDS.expiresInMax,
    );
    for (const expires_in of [1e300, TOKEN_BOUNDS.expiresInMax + 1, 0, 0.5, -5, Number.NaN, Infinity, '60'])
      rejects(ok({ expires_in }));
  });

  it('bounds the scope: total size, count, each scope', () => {
    rejects(ok({ scope: 'x'.repeat(300 * 1024) }));
    rejects(ok({ scope: 'x'.repeat(TOKEN_BOUNDS.scopeTotal + 1) }));
    rejects(ok({ scope: Array.from({ length: TOKEN_BOUNDS.scopeCount + 1 }, (_, i) => `s${i}`).join(' ') }));
    rejects(ok({ scope: `read ${'y'.repeat(TOKEN_BOUNDS.scopeLength + 1)}` }));
    rejects(ok({ scope: 42 }));
    const many = Array.from({ length: TOKEN_BOUNDS.scopeCount }, (_, i) => `s${i}`).join(',');
    expect(validateTokenResponse(ok({ scope: many })).scope).toBe(many);
  });
});

describe('safeErrorCode', () => {
  it('cuts provider error text and strips it to a safe charset', () => {
    expect(safeErrorCode('invalid_grant')).toBe('invalid_grant');
    expect(safeErrorCode('x'.repeat(10_000))).toHaveLength(TOKEN_BOUNDS.errorCodeLength);
    expect(safeErrorCode('bad\r\n"code"<script>')).toBe('bad___code__script_');
    expect(safeErrorCode('')).toBe('invalid_response');
    expect(safeErrorCode(undefined)).toBe('invalid_response');
  });
});
