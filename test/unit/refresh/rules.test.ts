import { afterEach, describe, expect, it, vi } from 'vitest';
import { config } from '../../../lib/config.js';
import { backoffSeconds } from '../../../lib/refresh/engine.js';
import { inCooldown, needsRefresh, readWantsRefresh } from '../../../lib/refresh/rules.js';
import { refreshDueAt } from '../../../lib/tokens/service.js';

// The pure rules of refreshing: when a token is due, when it is backing off, and how long it backs
// off. Boundaries are taken from the configured margin so that the tests follow the config.

type Token = Parameters<typeof needsRefresh>[0];

const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const MARGIN_MS = config.REFRESH_MARGIN_SECONDS * 1000;
const at = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();

function token(over: Partial<Token> = {}): Token {
  return {
    id: 'tok_1',
    tenant_id: 'ten_1',
    provider: 'github',
    key: 'user-1',
    token_type: 'bearer',
    scopes: [],
    metadata: {},
    access_token_enc: 'sealed-access',
    refresh_token_enc: 'sealed-refresh',
    expires_at: at(60 * 60 * 1000),
    status: 'active',
    last_refreshed_at: null,
    last_error: null,
    refresh_failures: 0,
    refresh_due_at: null,
    created_at: at(-1000),
    updated_at: at(-1000),
    url_params: {},
    version: 1,
    ...over,
  } as Token;
}

describe('needsRefresh', () => {
  it("'force' always refreshes, even a token without an expiry", () => {
    // Prepare
    const t = token({ expires_at: null, refresh_due_at: null });

    // Act
    const result = needsRefresh(t, 'force', NOW);

    // Assess
    expect(result).toBe(true);
  });

  it.each([
    ['expired already', -1, true],
    ['expiring now', 0, true],
    ['1 ms inside the margin', MARGIN_MS - 1, true],
    ['exactly at the margin', MARGIN_MS, false],
    ['beyond the margin', MARGIN_MS + 1, false],
  ])("'ensure': a token %s → %s", (_label, expiresInMs, expected) => {
    // Prepare
    const t = token({ expires_at: at(expiresInMs) });

    // Act
    const result = needsRefresh(t, 'ensure', NOW);

    // Assess
    expect(result).toBe(expected);
  });

  it("'ensure': a token without an expiry never needs it", () => {
    // Prepare
    const t = token({ expires_at: null });

    // Act
    const result = needsRefresh(t, 'ensure', NOW);

    // Assess
    expect(result).toBe(false);
  });

  it.each([
    ['due in the past', -1, true],
    ['due exactly now', 0, true],
    ['due 1 ms from now', 1, false],
  ])("'scheduled': a token %s → %s", (_label, dueInMs, expected) => {
    // Prepare
    const t = token({ refresh_due_at: at(dueInMs) });

    // Act
    const result = needsRefresh(t, 'scheduled', NOW);

    // Assess
    expect(result).toBe(expected);
  });

  it("'scheduled': a token not scheduled is not due, however near its expiry", () => {
    // Prepare
    const t = token({ refresh_due_at: null, expires_at: at(-1) });

    // Act
    const result = needsRefresh(t, 'scheduled', NOW);

    // Assess
    expect(result).toBe(false);
  });
});

describe('inCooldown', () => {
  it.each([
    ['1 ms left rounds up to 1 s', 1, 1],
    ['exactly 1 s left', 1000, 1],
    ['1 s and 1 ms left rounds up to 2 s', 1001, 2],
    ['an hour left', 3_600_000, 3600],
  ])('after a failure, %s', (_label, dueInMs, seconds) => {
    // Prepare
    const t = token({ refresh_failures: 1, refresh_due_at: at(dueInMs) });

    // Act
    const result = inCooldown(t, NOW);

    // Assess
    expect(result).toBe(seconds);
  });

  it.each([
    ['the backoff ends exactly now', { refresh_failures: 2, refresh_due_at: at(0) }],
    ['the backoff ended', { refresh_failures: 2, refresh_due_at: at(-1) }],
    [
      'no failure (a due date in the future is the schedule, not a backoff)',
      { refresh_failures: 0, refresh_due_at: at(60_000) },
    ],
    [
      'needs_reauth (no retry will help)',
      { refresh_failures: 3, status: 'needs_reauth' as const, refresh_due_at: at(60_000) },
    ],
    ['no due date', { refresh_failures: 3, refresh_due_at: null }],
  ])('is null when %s', (_label, over) => {
    // Prepare
    const t = token(over);

    // Act
    const result = inCooldown(t, NOW);

    // Assess
    expect(result).toBeNull();
  });
});

describe('readWantsRefresh', () => {
  it('a refreshable token inside the margin and not backing off: yes', () => {
    // Prepare
    const t = token({ expires_at: at(MARGIN_MS - 1) });

    // Act
    const result = readWantsRefresh(t, NOW);

    // Assess
    expect(result).toBe(true);
  });

  it.each([
    ['outside the margin', { expires_at: at(MARGIN_MS) }],
    ['without a refresh token', { expires_at: at(0), refresh_token_enc: null }],
    ['needing re-authorization', { expires_at: at(0), status: 'needs_reauth' as const }],
    ['backing off', { expires_at: at(0), refresh_failures: 1, refresh_due_at: at(1) }],
  ])('a token %s: no', (_label, over) => {
    // Prepare
    const t = token(over);

    // Act
    const result = readWantsRefresh(t, NOW);

    // Assess
    expect(result).toBe(false);
  });

  it('a failed refresh whose backoff has ended: yes again', () => {
    // Prepare
    const t = token({
      expires_at: at(0),
      status: 'refresh_failed',
      refresh_failures: 4,
      refresh_due_at: at(0),
    });

    // Act
    const result = readWantsRefresh(t, NOW);

    // Assess
    expect(result).toBe(true);
  });
});

describe('refreshDueAt', () => {
  it('is the margin before expiry', () => {
    // Prepare
    const t = token({ expires_at: at(MARGIN_MS + 5000) });

    // Act
    const due = refreshDueAt(t);

    // Assess
    expect(due).toBe(at(5000));
  });

  it('may lie in the past for a token that expires within the margin (the next run takes it)', () => {
    // Prepare
    const t = token({ expires_at: at(1000) });

    // Act
    const due = refreshDueAt(t);

    // Assess
    expect(due).toBe(at(1000 - MARGIN_MS));
  });

  it('keeps scheduling a token whose last refresh failed', () => {
    // Prepare
    const t = token({ status: 'refresh_failed', expires_at: at(MARGIN_MS) });

    // Act
    const due = refreshDueAt(t);

    // Assess
    expect(due).toBe(at(0));
  });

  it.each([
    ['no expiry', { expires_at: null }],
    ['no refresh token', { refresh_token_enc: null }],
    ['needs_reauth', { status: 'needs_reauth' as const }],
  ])('is null with %s', (_label, over) => {
    // Prepare
    const t = token(over);

    // Act
    const due = refreshDueAt(t);

    // Assess
    expect(due).toBeNull();
  });
});

describe('backoffSeconds', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    [0, 60],
    [1, 60],
    [2, 120],
    [3, 240],
    [6, 1920],
    [7, 3600],
    [50, 3600],
  ])(
    'after %i failure(s), without jitter: %i s (doubling from 60 s, capped at an hour)',
    (failures, seconds) => {
      // Prepare: the jitter's midpoint.
      vi.spyOn(Math, 'random').mockReturnValue(0.5);

      // Act
      const result = backoffSeconds(failures);

      // Assess
      expect(result).toBe(seconds);
    },
  );

  it.each([
    [0, 48, 2880],
    [0.999_999, 72, 4320],
  ])(
    'jitter is within ±20%% (random %d → %i s at the first failure, %i s at the cap)',
    (random, first, capped) => {
      // Prepare
      vi.spyOn(Math, 'random').mockReturnValue(random);

      // Act
      const results = [backoffSeconds(1), backoffSeconds(20)];

      // Assess
      expect(results).toEqual([first, capped]);
    },
  );
});
