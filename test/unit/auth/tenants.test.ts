import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';

const ddb = mockClient(DynamoDBDocumentClient);
const SECRET = 'operator-secret-0123456789';
const VARS = ['REGISTRATION', 'REGISTRATION_SECRET', 'AWS_LAMBDA_FUNCTION_NAME', 'KMS_KEY_ID'] as const;
const saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));

/** Loads lib/auth/tenants.ts (and lib/config.ts) afresh under the given environment. */
async function load(env: Partial<Record<(typeof VARS)[number], string>>) {
  for (const v of VARS) delete process.env[v];
  Object.assign(process.env, env);
  vi.resetModules();
  const tenants = await import('../../../lib/auth/tenants.js');
  const errors = await import('../../../lib/errors.js');
  return { ...tenants, ...errors };
}

function thrown(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

afterEach(() => {
  for (const v of VARS) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
  vi.resetModules();
  ddb.reset();
});

describe('checkRegistrationAllowed', () => {
  it('open (the local default): passes with or without a secret', async () => {
    // Prepare
    const { checkRegistrationAllowed } = await load({});

    // Act + Assess
    expect(thrown(() => checkRegistrationAllowed(undefined))).toBeUndefined();
    expect(thrown(() => checkRegistrationAllowed('anything'))).toBeUndefined();
  });

  it('closed: refuses without the secret and with a wrong one (403), passes with the right one', async () => {
    // Prepare
    const { checkRegistrationAllowed, ForbiddenError } = await load({
      REGISTRATION: 'closed',
      REGISTRATION_SECRET: SECRET,
    });

    // Act
    const missing = thrown(() => checkRegistrationAllowed(undefined));
    const empty = thrown(() => checkRegistrationAllowed(''));
    const wrong = thrown(() => checkRegistrationAllowed('operator-secret-0123456780'));
    const prefix = thrown(() => checkRegistrationAllowed(SECRET.slice(0, -1)));
    const longer = thrown(() => checkRegistrationAllowed(`${SECRET}x`));
    const right = thrown(() => checkRegistrationAllowed(SECRET));

    // Assess
    for (const err of [missing, empty, wrong, prefix, longer]) {
      expect(err).toBeInstanceOf(ForbiddenError);
      expect((err as InstanceType<typeof ForbiddenError>).statusCode).toBe(403);
    }
    expect(right).toBeUndefined();
  });

  it('closed without a configured secret: refuses everyone', async () => {
    // Prepare
    const { checkRegistrationAllowed, ForbiddenError } = await load({ REGISTRATION: 'closed' });

    // Act + Assess
    expect(thrown(() => checkRegistrationAllowed(undefined))).toBeInstanceOf(ForbiddenError);
    expect(thrown(() => checkRegistrationAllowed(SECRET))).toBeInstanceOf(ForbiddenError);
  });

  it('inside Lambda registration defaults to closed', async () => {
    // Prepare (in Lambda the local key provider refuses to start: a KMS key is configured there)
    const { checkRegistrationAllowed, ForbiddenError } = await load({
      AWS_LAMBDA_FUNCTION_NAME: 'token-vault-api',
      KMS_KEY_ID: 'alias/token-vault',
      REGISTRATION_SECRET: SECRET,
    });

    // Act + Assess
    expect(thrown(() => checkRegistrationAllowed(undefined))).toBeInstanceOf(ForbiddenError);
    expect(thrown(() => checkRegistrationAllowed(SECRET))).toBeUndefined();
  });

  it('register() refuses before writing anything when registration is closed', async () => {
    // Prepare
    const { register, ForbiddenError } = await load({ REGISTRATION: 'closed', REGISTRATION_SECRET: SECRET });
    ddb.on(TransactWriteCommand).resolves({});

    // Act
    const err = await register({ email: 'a@example.com', name: 'A' }, 'wrong-secret-0123456').catch((e) => e);

    // Assess
    expect(err).toBeInstanceOf(ForbiddenError);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});
