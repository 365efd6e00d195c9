import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';

const ddb = mockClient(DynamoDBDocumentClient);
const SECRET = 'operator-secret-0123456789';
const VARS = [
  'REGISTRATION',
  'REGISTRATION_SECRET',
  'REGISTRATION_SECRET_ARN',
  'AWS_LAMBDA_FUNCTION_NAME',
  'KMS_KEY_ID',
] as const;
const secrets = mockClient(SecretsManagerClient);
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

async function thrown(fn: () => Promise<void>): Promise<unknown> {
  try {
    await fn();
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
  secrets.reset();
});

describe('checkRegistrationAllowed', () => {
  it('open (the local default): passes with or without a secret', async () => {
    // Prepare
    const { checkRegistrationAllowed } = await load({});

    // Act
    const without = await thrown(() => checkRegistrationAllowed(undefined));
    const withAny = await thrown(() => checkRegistrationAllowed('anything'));

    // Assess
    expect(without).toBeUndefined();
    expect(withAny).toBeUndefined();
  });

  it('closed: refuses without the secret and with a wrong one (403), passes with the right one', async () => {
    // Prepare
    const { checkRegistrationAllowed, ForbiddenError } = await load({
      REGISTRATION: 'closed',
      REGISTRATION_SECRET: SECRET,
    });

    // Act
    const missing = await thrown(() => checkRegistrationAllowed(undefined));
    const empty = await thrown(() => checkRegistrationAllowed(''));
    const wrong = await thrown(() => checkRegistrationAllowed('operator-secret-0123456780'));
    const prefix = await thrown(() => checkRegistrationAllowed(SECRET.slice(0, -1)));
    const longer = await thrown(() => checkRegistrationAllowed(`${SECRET}x`));
    const right = await thrown(() => checkRegistrationAllowed(SECRET));

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

    // Act
    const without = await thrown(() => checkRegistrationAllowed(undefined));
    const withSecret = await thrown(() => checkRegistrationAllowed(SECRET));

    // Assess
    expect(without).toBeInstanceOf(ForbiddenError);
    expect(withSecret).toBeInstanceOf(ForbiddenError);
  });

  it('inside Lambda registration defaults to closed', async () => {
    // Prepare (in Lambda the local key provider refuses to start: a KMS key is configured there)
    const { checkRegistrationAllowed, ForbiddenError } = await load({
      AWS_LAMBDA_FUNCTION_NAME: 'token-vault-api',
      KMS_KEY_ID: 'alias/token-vault',
      REGISTRATION_SECRET: SECRET,
    });

    // Act
    const without = await thrown(() => checkRegistrationAllowed(undefined));
    const withSecret = await thrown(() => checkRegistrationAllowed(SECRET));

    // Assess
    expect(without).toBeInstanceOf(ForbiddenError);
    expect(withSecret).toBeUndefined();
  });

  it('deployed: reads the operator secret from Secrets Manager, once per cache period', async () => {
    // Prepare
    const arn = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:vault-registration-AbCdEf';
    secrets.on(GetSecretValueCommand, { SecretId: arn }).resolves({ SecretString: SECRET });
    const { checkRegistrationAllowed, ForbiddenError } = await load({
      REGISTRATION: 'closed',
      REGISTRATION_SECRET_ARN: arn,
    });

    // Act
    const wrong = await thrown(() => checkRegistrationAllowed('not-the-secret-0000'));
    const right = await thrown(() => checkRegistrationAllowed(SECRET));
    const again = await thrown(() => checkRegistrationAllowed(SECRET));

    // Assess
    expect(wrong).toBeInstanceOf(ForbiddenError);
    expect(right).toBeUndefined();
    expect(again).toBeUndefined();
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('register() refuses before writing anything when registration is closed', async () => {
    // Prepare
    const { register, ForbiddenError } = await load({ REGISTRATION: 'closed', REGISTRATION_SECRET: SECRET });
    ddb.on(TransactWriteCommand).resolves({});

    // Act
    const err = await register({ email: 'a@example.com', name: 'A' }, 'wrong-secret-0123456', {
      request_id: null,
      source_ip: null,
      user_agent: null,
    }).catch((e) => e);

    // Assess
    expect(err).toBeInstanceOf(ForbiddenError);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});
