import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../../lib/errors.js';
import { decodeCursor, encodeCursor } from '../../../lib/store/cursor.js';

const ME = 'ten_01me';
const tokenKey = { PK: `TENANT#${ME}`, SK: 'TOKEN#tok_01abc' };
// The partitions the queries read: a tenant's tokens, its tokens by provider, its API keys.
const tokens = { name: 'PK', value: `TENANT#${ME}` };
const byProvider = { name: 'GSI1PK', value: `TENANT#${ME}#TOKENS` };
const apiKeys = { name: 'GSI1PK', value: `TENANT#${ME}#APIKEYS` };

const handMade = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

function expect400(fn: () => unknown): void {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(BadRequestError);
  expect((err as BadRequestError).statusCode).toBe(400);
  expect((err as BadRequestError).message).toBe('The cursor is invalid.');
}

describe('cursor', () => {
  it('round-trips a LastEvaluatedKey for the same tenant', () => {
    // Prepare
    const cursor = encodeCursor(ME, tokenKey);

    // Act
    const key = decodeCursor(ME, cursor ?? undefined, tokens);

    // Assess
    expect(typeof cursor).toBe('string');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(key).toEqual(tokenKey);
  });

  it('round-trips a GSI1 token-index key (PK and GSI1PK both name the tenant)', () => {
    // Prepare
    const gsiKey = {
      PK: `TENANT#${ME}`,
      SK: 'TOKENKEY#google#user-1',
      GSI1PK: `TENANT#${ME}#TOKENS`,
      GSI1SK: 'google#user-1',
    };

    // Act
    const key = decodeCursor(ME, encodeCursor(ME, gsiKey) ?? undefined, byProvider);

    // Assess
    expect(key).toEqual(gsiKey);
  });

  it("round-trips the API-key list's LastEvaluatedKey (GSI1 on APIKEY# items)", () => {
    // Prepare: the shape DynamoDB returns for a GSI1 query of a tenant's API keys (checked against
    // DynamoDB Local): the table key PK names the key, not the tenant; GSI1PK names the tenant.
    const apiKeyPageKey = {
      PK: 'APIKEY#ygc28ec96b305da9',
      SK: 'APIKEY',
      GSI1PK: `TENANT#${ME}#APIKEYS`,
      GSI1SK: '2030-01-01T00:00:00.000Z#ygc28ec96b305da9',
    };

    // Act
    const key = decodeCursor(ME, encodeCursor(ME, apiKeyPageKey) ?? undefined, apiKeys);

    // Assess
    expect(key).toEqual(apiKeyPageKey);
  });

  it('no LastEvaluatedKey: null cursor; no cursor: no start key', () => {
    // Act
    const cursor = encodeCursor(ME, undefined);
    const start = decodeCursor(ME, undefined, tokens);

    // Assess
    expect(cursor).toBeNull();
    expect(start).toBeUndefined();
  });

  it("refuses another tenant's cursor with 400", () => {
    // Prepare
    const theirs = encodeCursor('ten_01other', { PK: 'TENANT#ten_01other', SK: 'TOKEN#tok_x' });

    // Act
    const decode = () => decodeCursor(ME, theirs ?? undefined, tokens);

    // Assess
    expect400(decode);
  });

  it('refuses a cursor claiming my tenant whose key PK names another tenant', () => {
    // Prepare
    const forged = handMade({ t: ME, k: { PK: 'TENANT#other', SK: 'TOKEN#tok_x' } });

    // Act
    const decode = () => decodeCursor(ME, forged, tokens);

    // Assess
    expect400(decode);
  });

  it('refuses a forged GSI1PK of another tenant', () => {
    // Prepare
    const forged = handMade({
      t: ME,
      k: { PK: `TENANT#${ME}`, SK: 'TOKENKEY#a#b', GSI1PK: 'TENANT#other#TOKENS', GSI1SK: 'a#b' },
    });

    // Act
    const decode = () => decodeCursor(ME, forged, byProvider);

    // Assess
    expect400(decode);
  });

  it('refuses a cursor of one kind of item presented to another in the same partition', () => {
    // Prepare: a tokens page's key is under the tenant's PK too: the SK prefix tells the queries apart.
    const webhooks = { name: 'PK', value: `TENANT#${ME}`, skPrefix: 'WEBHOOK#' };
    const cursor = encodeCursor(ME, tokenKey) ?? undefined;

    // Act
    const asWebhooks = () => decodeCursor(ME, cursor, webhooks);
    const asTokens = decodeCursor(ME, cursor, { ...tokens, skPrefix: 'TOKEN#' });

    // Assess
    expect400(asWebhooks);
    expect(asTokens).toEqual(tokenKey);
  });

  it('refuses a cursor of one query presented to another (tokens page to the API-key list)', () => {
    // Act
    const decode = () => decodeCursor(ME, encodeCursor(ME, tokenKey) ?? undefined, apiKeys);

    // Assess
    expect400(decode);
  });

  it('refuses a tenant whose id merely starts with mine (TENANT#<me>x)', () => {
    // Prepare
    const forged = handMade({ t: ME, k: { PK: `TENANT#${ME}x`, SK: 'TOKEN#tok_x' } });

    // Act
    const decode = () => decodeCursor(ME, forged, tokens);

    // Assess
    expect400(decode);
  });

  it.each([
    ['garbage', 'not a cursor!!'],
    ['empty string', ''],
    ['base64 of non-JSON', Buffer.from('hello').toString('base64url')],
    ['JSON without a key', handMade({ t: ME })],
    ['a null key', handMade({ t: ME, k: null })],
    ['a string key', handMade({ t: ME, k: 'TENANT#x' })],
    ['a non-string attribute', handMade({ t: ME, k: { PK: `TENANT#${ME}`, SK: { S: 'x' } } })],
    ['no tenant', handMade({ k: tokenKey })],
    ['JSON null', handMade(null)],
    ['an empty key', handMade({ t: ME, k: {} })],
    ['an array key', handMade({ t: ME, k: [] })],
  ])('refuses %s with 400', (_label, cursor) => {
    // Act
    const decode = () => decodeCursor(ME, cursor, tokens);

    // Assess
    expect400(decode);
  });
});
