import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// Deployed, GetToken hands a due refresh to the RefreshOnDemand function by a Lambda Invoke (which
// cannot run here: mocked); a fresh token costs no invoke at all.

const FUNCTION = 'token-vault-dev-RefreshOnDemand';
const lambda = mockClient(LambdaClient);

async function load() {
  vi.resetModules();
  process.env.INVOKE_FUNCTIONS = JSON.stringify({ RefreshOnDemand: FUNCTION });
  const { ddb } = await import('../../../lib/aws.js');
  const ddbMock = mockClient(ddb);
  const mod = await import('../../../lib/refresh/on-demand.js');
  return { ddbMock, ...mod };
}

const stored = (expiresInMs: number) => ({
  PK: 'TENANT#t1',
  SK: 'TOKEN#tok_1',
  id: 'tok_1',
  tenant_id: 't1',
  provider: 'github',
  key: 'u1',
  token_type: 'Bearer',
  access_token_enc: 'sealed-old',
  refresh_token_enc: 'sealed-refresh',
  expires_at: new Date(Date.now() + expiresInMs).toISOString(),
  status: 'active',
  refresh_failures: 0,
  created_at: new Date().toISOString(),
  updated_at: new Date().toISOString(),
  version: 1,
});

beforeEach(() => lambda.reset());
afterEach(() => {
  delete process.env.INVOKE_FUNCTIONS;
  vi.resetModules();
});

describe('getFreshToken, deployed', () => {
  it('returns a fresh token from one GetItem, with no invoke', async () => {
    // Prepare
    const { ddbMock, getFreshToken } = await load();
    ddbMock.on(GetCommand).resolves({ Item: stored(3_600_000) });

    // Act
    const t = await getFreshToken('t1', 'tok_1');

    // Assess
    expect(t.access_token_enc).toBe('sealed-old');
    expect(ddbMock.commandCalls(GetCommand)).toHaveLength(1);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('invokes RefreshOnDemand for a token near expiry and returns what it stored', async () => {
    // Prepare
    const { ddbMock, getFreshToken } = await load();
    ddbMock.on(GetCommand).resolves({ Item: stored(10_000) });
    const refreshed = { ...stored(3_600_000), access_token_enc: 'sealed-new', PK: undefined, SK: undefined };
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: new TextEncoder().encode(JSON.stringify({ token: refreshed })) as never,
    });

    // Act
    const t = await getFreshToken('t1', 'tok_1');

    // Assess
    expect(t.access_token_enc).toBe('sealed-new');
    const call = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(call?.FunctionName).toBe(FUNCTION);
    expect(JSON.parse(new TextDecoder().decode(call?.Payload as Uint8Array))).toEqual({
      tenant_id: 't1',
      token_id: 'tok_1',
    });
  });

  it('fails (a 500 to the caller) when the refresh function errors, naming only its error type', async () => {
    // Prepare
    const { ddbMock, getFreshToken } = await load();
    ddbMock.on(GetCommand).resolves({ Item: stored(10_000) });
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled' });

    // Act
    const err = await getFreshToken('t1', 'tok_1').catch((e: unknown) => e);

    // Assess
    expect((err as Error).name).toBe('InvokeError');
    expect((err as Error).message).toBe('RefreshOnDemand failed (Unhandled)');
  });
});
