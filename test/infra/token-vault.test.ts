import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import type { Access } from '../../functions/defs.js';
import { jobs, routeList } from '../../functions/routes.js';
import { addVaultStack } from '../../infra/stack.js';
import { TokenVault, type TokenVaultProps } from '../../infra/token-vault.js';
import { TTL_ATTRIBUTE, tableDefinition } from '../../lib/store/keys.js';

// Assertions on the synthesized template. Bundling is skipped (context `aws:cdk:bundling-stacks: []`);
// cdk-nag's AwsSolutions checks run on every synth, so an unacknowledged finding fails these tests too.

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation template JSON, navigated by the assertions
type Json = Record<string, any>;
interface Statement {
  Effect: string;
  Action: string[];
  Resource: unknown[];
  Condition?: Json;
  Principal?: Json;
  Sid?: string;
}

const arr = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const norm = (s: Json): Statement =>
  ({ ...s, Action: arr(s.Action), Resource: arr(s.Resource) }) as Statement;

function build(context: Record<string, unknown> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  return { app, stack: addVaultStack(app) };
}

function synth(context: Record<string, unknown> = {}) {
  const { app, stack } = build(context);
  const template = Template.fromStack(stack);
  const resources: Record<string, Json> = template.toJSON().Resources;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  return { app, stack, template, resources, ofType };
}
type Synth = ReturnType<typeof synth>;

const dev = synth();
const prod = synth({ stage: 'prod' });

const functionDefs = [
  ...routeList.map((r) => ({ id: r.id, access: r.access, authenticated: r.scope !== null, job: undefined })),
  ...jobs.map((j) => ({ id: j.id, access: j.access, authenticated: false, job: j })),
];

function fnLogicalId(s: Synth, id: string, stage = 'dev'): string {
  const found = s
    .ofType('AWS::Lambda::Function')
    .find(([, r]) => r.Properties.FunctionName === `token-vault-${stage}-${id}`);
  if (!found) throw new Error(`no function ${id}`);
  return found[0];
}

/** Every statement of the IAM policies attached to a function's role. */
function roleStatements(s: Synth, id: string): Statement[] {
  const roleId = s.resources[fnLogicalId(s, id)]?.Properties.Role['Fn::GetAtt'][0];
  return s
    .ofType('AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement.map(norm));
}

const keyId = (s: Synth) => {
  const keys = s.ofType('AWS::KMS::Key');
  expect(keys).toHaveLength(1);
  return keys[0]?.[0] as string;
};
const tableId = (s: Synth) => s.ofType('AWS::DynamoDB::Table')[0]?.[0] as string;
const refersTo = (value: unknown, logicalId: string) => JSON.stringify(value).includes(`"${logicalId}"`);

describe('functions', () => {
  it('makes one Lambda function per route and job: Node.js 24 on arm64, traced, JSON logs to its own group', () => {
    // Assess: on the templates synthesized above (the Act, shared by these tests).
    const fns = dev.ofType('AWS::Lambda::Function');
    expect(fns).toHaveLength(routeList.length + jobs.length);
    for (const [, fn] of fns) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
        Handler: 'index.handler',
      });
      expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    }
    const names = fns.map(([, fn]) => fn.Properties.FunctionName).sort();
    expect(names).toEqual(functionDefs.map((d) => `token-vault-dev-${d.id}`).sort());
  });

  it('gives routes 512 MB and 10 s (29 s if they call providers, or invoke a function that does), and jobs their own timeout', () => {
    // Assess
    for (const d of functionDefs) {
      const fn = dev.resources[fnLogicalId(dev, d.id)]?.Properties;
      expect(fn.MemorySize).toBe(512);
      const waitsOnProvider = d.access.outbound || (d.access.invoke?.length ?? 0) > 0;
      expect(fn.Timeout).toBe(d.job ? d.job.timeoutSeconds : waitsOnProvider ? 29 : 10);
    }
  });

  it('configures every function from the environment variables lib/config.ts reads', () => {
    // Assess
    for (const d of functionDefs) {
      const env = dev.resources[fnLogicalId(dev, d.id)]?.Properties.Environment.Variables;
      expect(env).toMatchObject({
        TABLE_NAME: { Ref: tableId(dev) },
        KMS_KEY_ID: { 'Fn::GetAtt': [keyId(dev), 'Arn'] },
        STAGE: 'dev',
        REGISTRATION: 'closed',
        AUTH_CACHE_TTL_SECONDS: '60',
        CORS_ORIGINS: '',
        REFRESH_INTERVAL_SECONDS: '300',
        POWERTOOLS_SERVICE_NAME: 'token-vault',
        POWERTOOLS_METRICS_NAMESPACE: 'TokenVault',
      });
      expect('REGISTRATION_SECRET_ARN' in env).toBe(d.id === 'Register');
      expect('WEBHOOK_QUEUE_URL' in env).toBe(d.access.queue === true || d.job?.trigger === 'queue');
      expect('INVOKE_FUNCTIONS' in env).toBe((d.access.invoke?.length ?? 0) > 0);
    }
  });

  it('takes settings from context', () => {
    // Act
    const s = synth({
      registration: 'open',
      corsOrigins: 'https://a.example, https://b.example',
      authCacheTtlSeconds: '0',
    });

    // Assess
    const env = s.resources[fnLogicalId(s, 'Health')]?.Properties.Environment.Variables;
    expect(env).toMatchObject({
      REGISTRATION: 'open',
      CORS_ORIGINS: 'https://a.example,https://b.example',
      AUTH_CACHE_TTL_SECONDS: '0',
    });
  });

  it('rejects bad settings with the name of the setting', () => {
    // Act
    const badStage = () => synth({ stage: 'Prod!' });
    const badRegistration = () => synth({ registration: 'maybe' });
    const badInterval = () => synth({ refreshIntervalSeconds: '90' });
    const badOrigins = () => synth({ corsOrigins: 'https://a.example/path' });
    const badRetention = () => synth({ logRetentionDays: '8' });

    // Assess
    expect(badStage).toThrow(/stage/);
    expect(badRegistration).toThrow(/registration/);
    expect(badInterval).toThrow(/refreshInterval/);
    expect(badOrigins).toThrow(/corsOrigins/);
    expect(badRetention).toThrow(/logRetention/);
  });

  it('checks its props the same way when used in another app', () => {
    // Prepare
    const vaultIn = (props: Partial<TokenVaultProps>) => () =>
      new TokenVault(new Stack(new App()), 'Vault', { stage: 'dev', ...props });

    // Act
    const badStage = vaultIn({ stage: 'Prod!' });
    const badRegistration = vaultIn({ registration: 'maybe' as 'open' });
    const badInterval = vaultIn({ refreshInterval: Duration.seconds(90) });
    const badRetention = vaultIn({ logRetention: 8 as logs.RetentionDays });

    // Assess
    expect(badStage).toThrow(/TokenVault stage/);
    expect(badRegistration).toThrow(/TokenVault registration/);
    expect(badInterval).toThrow(/TokenVault refreshInterval/);
    expect(badRetention).toThrow(/TokenVault logRetention/);
  });

  it("keeps the logical ids of the stateful resources (a new id would replace them, the table's data with it)", () => {
    // Assess: on the dev template synthesized once above.
    expect(tableId(dev)).toBe('VaultTable008FE3F5');
    expect(keyId(dev)).toBe('VaultKeyCB88EF1A');
    expect(dev.ofType('AWS::SecretsManager::Secret').map(([id]) => id)).toEqual([
      'VaultRegistrationSecret0C7D0EF6',
    ]);
    expect(
      dev
        .ofType('AWS::SQS::Queue')
        .map(([id]) => id)
        .sort(),
    ).toEqual(['VaultWebhookDeadLetterQueue3EF56EDC', 'VaultWebhookQueue23ACFFBF']);
  });
});

describe('least privilege, derived from the route table', () => {
  const dynamoActions = (ss: Statement[]) =>
    ss.flatMap((s) => s.Action).filter((a) => a.startsWith('dynamodb:'));
  const kmsStatements = (ss: Statement[]) => ss.filter((s) => s.Action.some((a) => a.startsWith('kms:')));
  const isDek = (s: Statement) =>
    s.Condition?.StringEquals?.['kms:EncryptionContext:purpose'] === 'token-vault/dek';
  const isSse = (s: Statement) => s.Condition?.StringEquals?.['kms:ViaService'] !== undefined;

  it.each(functionDefs.map((d) => [d.id, d] as const))('%s gets what its access declares', (id, d) => {
    // Assess
    const statements = roleStatements(dev, id);
    const access: Access = d.access;
    const usesTable = access.table !== 'none' || d.authenticated;

    // Nothing but X-Ray on Resource *, no service-wide actions.
    for (const s of statements) {
      expect(s.Effect).toBe('Allow');
      expect(s.Action.filter((a) => a.endsWith(':*'))).toEqual([]);
      if (s.Resource.includes('*')) expect(s.Action.every((a) => a.startsWith('xray:'))).toBe(true);
    }

    // DynamoDB
    const tableStatements = statements.filter((s) => s.Action.some((a) => a.startsWith('dynamodb:')));
    if (!usesTable) expect(tableStatements).toEqual([]);
    for (const s of tableStatements) {
      for (const r of s.Resource) {
        expect(refersTo(r, tableId(dev))).toBe(true);
        expect(JSON.stringify(r)).not.toContain('index/*');
      }
    }
    const unconditioned = dynamoActions(tableStatements.filter((s) => !s.Condition));
    const writes = ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'];
    if (access.table === 'read' || access.table === 'write') {
      expect(unconditioned).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
      const indexQuery = tableStatements.find((s) => JSON.stringify(s.Resource).includes('/index/'));
      const indexes = indexQuery?.Resource.map((r) => JSON.stringify(r).match(/\/index\/(\w+)/)?.[1]);
      expect(indexes?.sort()).toEqual(tableDefinition.indexes.map((i) => i.name).sort());
      expect(indexQuery?.Action).toEqual(['dynamodb:Query']);
    }
    if (access.table === 'write') {
      expect(unconditioned).toEqual(expect.arrayContaining([...writes, 'dynamodb:UpdateItem']));
    } else if (access.audit) {
      // A read function that records audit events: puts only in audit partitions, and the
      // existence check a secret read is recorded with; it deletes nothing.
      const puts = tableStatements.filter((s) => s.Action.includes('dynamodb:PutItem'));
      expect(puts.map((s) => s.Condition?.['ForAllValues:StringLike'])).toEqual([
        { 'dynamodb:LeadingKeys': ['TENANT#*#AUDIT#*'] },
      ]);
      expect(puts[0]?.Action.sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:PutItem']);
      expect(dynamoActions(tableStatements)).not.toContain('dynamodb:ConditionCheckItem');
      for (const a of ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'])
        expect(unconditioned).not.toContain(a);
    } else {
      expect(dynamoActions(tableStatements).filter((a) => writes.includes(a))).toEqual([]);
      expect(unconditioned).not.toContain('dynamodb:UpdateItem');
    }
    const touch = tableStatements.filter((s) => s.Action.includes('dynamodb:UpdateItem') && s.Condition);
    if (d.authenticated && access.table !== 'write') {
      // Recording use: an API key's last_used_at, and a dashboard session's last_seen_at; nothing else.
      expect(touch).toHaveLength(2);
      const touches = [
        ['APIKEY#*', 'last_used_at'],
        ['SESSION#*', 'last_seen_at'],
      ] as const;
      for (const [partition, attribute] of touches) {
        const t = touch.find(
          (x) => x.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']?.[0] === partition,
        );
        expect(t?.Condition).toMatchObject({
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [partition] },
          'ForAllValues:StringEquals': {
            'dynamodb:Attributes': expect.arrayContaining([attribute, 'PK', 'SK']),
          },
        });
        expect(t?.Condition?.['ForAllValues:StringEquals']['dynamodb:Attributes']).toHaveLength(3);
      }
    } else {
      expect(touch).toEqual([]);
    }

    // KMS: data keys only as declared, table key only via DynamoDB; all on the vault key.
    const kms = kmsStatements(statements);
    for (const s of kms) {
      expect(s.Resource).toEqual([{ 'Fn::GetAtt': [keyId(dev), 'Arn'] }]);
      expect(isDek(s) || isSse(s)).toBe(true);
    }
    const dekActions = kms.filter(isDek).flatMap((s) => s.Action);
    expect(dekActions.includes('kms:Decrypt')).toBe(access.kms.includes('decrypt'));
    expect(dekActions.includes('kms:GenerateDataKey')).toBe(access.kms.includes('generate'));
    expect(kms.flatMap((s) => s.Action).some((a) => a.startsWith('kms:GenerateDataKey'))).toBe(
      access.kms.includes('generate'),
    );
    const sse = kms.filter(isSse);
    expect(sse.length > 0).toBe(usesTable);
    for (const s of sse) expect(s.Action).toEqual(['kms:Decrypt']);

    // Queue and secret
    const sqsActions = statements.flatMap((s) => s.Action).filter((a) => a.startsWith('sqs:'));
    expect(sqsActions.includes('sqs:SendMessage')).toBe(access.queue === true);
    const secretActions = statements.flatMap((s) => s.Action).filter((a) => a.startsWith('secretsmanager:'));
    expect(secretActions).toEqual(id === 'Register' ? ['secretsmanager:GetSecretValue'] : []);

    // Invoking other functions: exactly the ones declared, by ARN
    const invoke = statements.filter((s) => s.Action.some((a) => a.startsWith('lambda:')));
    const declared = access.invoke ?? [];
    if (declared.length === 0) expect(invoke).toEqual([]);
    else {
      expect(invoke).toHaveLength(1);
      expect(invoke[0]?.Action).toEqual(['lambda:InvokeFunction']);
      expect(invoke[0]?.Resource).toHaveLength(declared.length);
      for (const [i, target] of declared.entries())
        expect(refersTo(invoke[0]?.Resource[i], fnLogicalId(dev, target))).toBe(true);
    }
  });

  it('spot checks: GetToken reads, decrypts and invokes RefreshOnDemand; ListProviders reads keys only; only Register and RotateDataKey generate; Health touches nothing', () => {
    // Assess
    const actions = (id: string) => new Set(roleStatements(dev, id).flatMap((s) => s.Action));
    const getToken = actions('GetToken');
    expect([...getToken]).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'kms:Decrypt']),
    );
    // The read function writes only audit events and an API key's last_used_at. A
    // refresh it finds due runs in RefreshOnDemand, the one function it may invoke.
    for (const a of ['dynamodb:ConditionCheckItem', 'sqs:SendMessage']) expect(getToken.has(a)).toBe(false);
    // Its puts and deletes: audit events (token.read), in audit partitions only.
    const getTokenPuts = roleStatements(dev, 'GetToken').filter((s) => s.Action.includes('dynamodb:PutItem'));
    expect(getTokenPuts.map((s) => s.Condition?.['ForAllValues:StringLike'])).toEqual([
      { 'dynamodb:LeadingKeys': ['TENANT#*#AUDIT#*'] },
    ]);
    const getTokenUpdates = roleStatements(dev, 'GetToken').filter((s) =>
      s.Action.includes('dynamodb:UpdateItem'),
    );
    // Its only updates: last use of API keys and of dashboard sessions, each limited to those items.
    expect(getTokenUpdates.map((s) => s.Condition?.['ForAllValues:StringLike']).sort()).toEqual([
      { 'dynamodb:LeadingKeys': ['APIKEY#*'] },
      { 'dynamodb:LeadingKeys': ['SESSION#*'] },
    ]);
    expect(getToken.has('lambda:InvokeFunction')).toBe(true);
    expect(getToken.has('kms:GenerateDataKey')).toBe(false);
    const refresher = actions('RefreshOnDemand');
    expect([...refresher]).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'kms:Decrypt']));
    expect(routeList.some((r) => r.id === 'RefreshOnDemand')).toBe(false);
    // The provider catalog is code: ListProviders may read and touch the caller's credential
    // (API-key records, or a dashboard session) and nothing else.
    const providers = roleStatements(dev, 'ListProviders').filter((s) =>
      s.Action.some((a) => a.startsWith('dynamodb:')),
    );
    expect(providers.length).toBeGreaterThan(0);
    for (const s of providers)
      expect(['APIKEY#*', 'SESSION#*']).toEqual(
        expect.arrayContaining(
          s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? ['none'],
        ),
      );
    // (A read function that records audit events puts those only: checked per function above.)
    const readOnly = functionDefs.filter((d) => d.access.table === 'read' && !d.access.audit);
    expect(readOnly.length).toBeGreaterThan(0);
    for (const d of readOnly) expect(actions(d.id).has('dynamodb:PutItem')).toBe(false);
    expect(functionDefs.filter((d) => actions(d.id).has('kms:GenerateDataKey')).map((d) => d.id)).toEqual([
      'Register',
      'RotateDataKey',
    ]);
    expect([...actions('Health')].filter((a) => a.startsWith('dynamodb:') || a.startsWith('kms:'))).toEqual(
      [],
    );
  });

  it('lets functions write only to their own log group, with no managed policies', () => {
    // Assess
    for (const [, role] of dev.ofType('AWS::IAM::Role'))
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    for (const d of functionDefs) {
      const fn = dev.resources[fnLogicalId(dev, d.id)]?.Properties;
      const logs = roleStatements(dev, d.id).filter((s) => s.Action.some((a) => a.startsWith('logs:')));
      expect(logs).toHaveLength(1);
      expect(logs[0]?.Resource).toEqual([{ 'Fn::GetAtt': [fn.LoggingConfig.LogGroup.Ref, 'Arn'] }]);
    }
  });
});

describe('KMS key', () => {
  const policy = (s: Synth) =>
    ((s.resources[keyId(s)]?.Properties.KeyPolicy.Statement ?? []) as Json[]).map(norm);
  const roleOf = (s: Synth, id: string) => s.resources[fnLogicalId(s, id)]?.Properties.Role['Fn::GetAtt'][0];
  const principals = (st: Statement | undefined) =>
    arr(st?.Principal?.AWS)
      .map((p: Json) => p['Fn::GetAtt']?.[0])
      .sort();

  it('is rotated and aliased alias/token-vault-<stage>', () => {
    // Assess
    dev.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    dev.template.hasResourceProperties('AWS::KMS::Alias', {
      AliasName: 'alias/token-vault-dev',
      TargetKeyId: { 'Fn::GetAtt': [keyId(dev), 'Arn'] },
    });
    prod.template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/token-vault-prod' });
  });

  it('lets the account administer but not use it, except through DynamoDB', () => {
    // Assess
    for (const st of policy(dev).filter((s) => JSON.stringify(s.Principal).includes(':root'))) {
      const crypto = st.Action.filter((a) =>
        /^kms:(Decrypt|Encrypt|GenerateDataKey|ReEncrypt|CreateGrant|\*)/.test(a),
      );
      if (crypto.length > 0) {
        expect(st.Condition?.StringEquals?.['kms:ViaService']).toEqual({
          'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
        });
      }
    }
  });

  it('names exactly the functions that declare each data-key operation, for data keys only', () => {
    // Assess
    const st = policy(dev);
    for (const [op, action] of [
      ['decrypt', 'kms:Decrypt'],
      ['generate', 'kms:GenerateDataKey'],
    ] as const) {
      const dek = st.filter(
        (s) =>
          s.Action.includes(action) &&
          s.Condition?.StringEquals?.['kms:EncryptionContext:purpose'] === 'token-vault/dek',
      );
      const expected = functionDefs.filter((d) => d.access.kms.includes(op)).map((d) => roleOf(dev, d.id));
      expect(dek.length).toBe(expected.length > 0 ? 1 : 0);
      expect(principals(dek[0])).toEqual(expected.sort());
    }
    // No role principal gets anything without the data-key condition.
    for (const s of st.filter((s) => JSON.stringify(s.Principal).includes('Fn::GetAtt'))) {
      expect(s.Condition?.StringEquals?.['kms:EncryptionContext:purpose']).toBe('token-vault/dek');
    }
  });

  it('with an existing key: no new key or alias; grants through IAM on that key', () => {
    // Prepare
    const arn = 'arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555';

    // Act
    const s = synth({ kmsKeyArn: arn });

    // Assess
    expect(s.ofType('AWS::KMS::Key')).toEqual([]);
    expect(s.ofType('AWS::KMS::Alias')).toEqual([]);
    s.template.hasResourceProperties('AWS::DynamoDB::Table', { SSESpecification: { KMSMasterKeyId: arn } });
    const getToken = roleStatements(s, 'GetToken').filter((st) => st.Action.includes('kms:Decrypt'));
    expect(getToken.map((st) => st.Resource)).toEqual([[arn], [arn]]);
    expect(s.template.toJSON().Outputs.KeyArn.Value).toBe(arn);
  });
});

describe('DynamoDB table', () => {
  it('has the keys, indexes and TTL of lib/store/keys.ts, on demand, PITR, encrypted with the vault key', () => {
    // Assess
    const keyNames = [
      tableDefinition.partitionKey,
      tableDefinition.sortKey,
      ...tableDefinition.indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
    ];
    dev.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: tableDefinition.partitionKey, KeyType: 'HASH' },
        { AttributeName: tableDefinition.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayEquals(
        keyNames.map((n) => ({ AttributeName: n, AttributeType: 'S' })),
      ),
      GlobalSecondaryIndexes: Match.arrayEquals(
        tableDefinition.indexes.map((i) => ({
          IndexName: i.name,
          KeySchema: [
            { AttributeName: i.partitionKey, KeyType: 'HASH' },
            { AttributeName: i.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
      ),
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: {
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [keyId(dev), 'Arn'] },
      },
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    });
  });

  it('is retained and deletion-protected outside dev, and so are the key and the secret', () => {
    // Assess
    prod.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
    prod.template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
    prod.template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
  });

  it('is neither in dev', () => {
    // Assess
    dev.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
    dev.template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });

  it('follows an explicit removal policy', () => {
    // Act
    const s = synth({ stage: 'staging', removalPolicy: 'destroy' });

    // Assess
    s.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
    });
  });
});

describe('HTTP API', () => {
  it('has exactly the route table: one route per entry, no $default or catch-all', () => {
    // Assess
    const keys = dev.ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
    expect(keys.sort()).toEqual(routeList.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of routeList) {
      const [, r] = dev
        .ofType('AWS::ApiGatewayV2::Route')
        .find(([, r]) => r.Properties.RouteKey === `${route.method} ${route.path}`) as [string, Json];
      const integrationId = r.Properties.Target['Fn::Join'][1][1].Ref;
      expect(
        refersTo(dev.resources[integrationId]?.Properties.IntegrationUri, fnLogicalId(dev, route.id)),
      ).toBe(true);
    }
  });

  it('throttles the stage and writes JSON access logs', () => {
    // Assess
    const [, stage] = dev.ofType('AWS::ApiGatewayV2::Stage')[0] as [string, Json];
    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      method: '$context.httpMethod',
      path: '$context.path',
      status: '$context.status',
      latency: '$context.responseLatency',
    });

    // Act
    const s = synth({ rateLimit: '5', burstLimit: '10' });

    // Assess
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
    });
  });

  it('answers CORS preflight only for configured origins', () => {
    // Assess
    expect(dev.ofType('AWS::ApiGatewayV2::Api')[0]?.[1].Properties.CorsConfiguration).toBeUndefined();

    // Act
    const s = synth({ corsOrigins: 'https://app.example' });

    // Assess
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({
        AllowOrigins: ['https://app.example'],
        AllowMethods: Match.arrayWith(['GET', 'POST']),
      }),
    });
  });
});

describe('webhook queue, jobs, alarms', () => {
  it('has an encrypted, TLS-only webhook queue with a dead-letter queue', () => {
    // Assess
    const queues = dev.ofType('AWS::SQS::Queue');
    expect(queues).toHaveLength(2);
    const [dlqId] = queues.find(([, q]) => !q.Properties.RedrivePolicy) as [string, Json];
    dev.template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 },
    });
    for (const [, q] of queues) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
    const tlsOnly = dev
      .ofType('AWS::SQS::QueuePolicy')
      .filter(([, p]) =>
        JSON.stringify(p.Properties.PolicyDocument).includes('"aws:SecureTransport":"false"'),
      );
    expect(tlsOnly).toHaveLength(2);
  });

  const scheduleJobs = jobs.filter((j) => j.trigger === 'schedule');
  it.skipIf(scheduleJobs.length === 0)(
    'runs each schedule job on its period (default: the refresh interval)',
    () => {
      // Assess
      const rules = dev.ofType('AWS::Events::Rule').map(([, r]) => r.Properties);
      expect(rules).toHaveLength(scheduleJobs.length);
      for (const job of scheduleJobs) {
        const fnId = fnLogicalId(dev, job.id);
        const rule = rules.find((r) => r.Targets.some((t: Json) => refersTo(t.Arn, fnId)));
        const minutes = (job.everySeconds ?? 300) / 60;
        expect(rule?.ScheduleExpression).toBe(`rate(${minutes} ${minutes === 1 ? 'minute' : 'minutes'})`);
        expect(rule?.Targets).toHaveLength(1);
      }
    },
  );

  const queueJobs = jobs.filter((j) => j.trigger === 'queue');
  it.skipIf(queueJobs.length === 0)('feeds the webhook queue to the queue job', () => {
    // Assess
    dev.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fnLogicalId(dev, queueJobs[0]?.id as string) },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('has a schedule per schedule job and a queue consumer per queue job, nothing else', () => {
    // Assess
    expect(dev.ofType('AWS::Events::Rule')).toHaveLength(scheduleJobs.length);
    expect(dev.ofType('AWS::Lambda::EventSourceMapping')).toHaveLength(queueJobs.length);
  });

  it('alarms to a TLS-only topic on function errors and throttles, API 5xx rate and p99 latency, dead letters, parked events', () => {
    // Assess
    const [topicId, topic] = dev.ofType('AWS::SNS::Topic')[0] as [string, Json];
    expect(topic).toBeDefined();
    expect(JSON.stringify(dev.ofType('AWS::SNS::TopicPolicy'))).toContain('"aws:SecureTransport":"false"');
    const alarms = dev.ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: topicId }]);

    // Every function's errors and throttles are watched, by metric math over at most 10 functions.
    for (const metric of ['Errors', 'Throttles']) {
      const sums = alarms.filter((a) =>
        a.Metrics?.some(
          (m: Json) =>
            m.MetricStat?.Metric.MetricName === metric && m.MetricStat.Metric.Namespace === 'AWS/Lambda',
        ),
      );
      for (const a of sums) {
        expect(a.Metrics.find((m: Json) => m.ReturnData !== false).Expression).toBe('SUM(METRICS())');
        expect(a.Metrics.filter((m: Json) => m.MetricStat).length).toBeLessThanOrEqual(10);
        expect(a).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      }
      for (const d of functionDefs) {
        const fnId = fnLogicalId(dev, d.id);
        const watching = sums.filter((a) =>
          a.Metrics.some(
            (m: Json) =>
              m.MetricStat?.Metric.MetricName === metric && refersTo(m.MetricStat.Metric.Dimensions, fnId),
          ),
        );
        expect(watching, `${metric} alarm of ${d.id}`).toHaveLength(1);
      }
    }
    const math = alarms.find((a) =>
      a.Metrics?.some((m: Json) => String(m.Expression).includes('errors / requests')),
    );
    const metricNames = math?.Metrics.filter((m: Json) => m.MetricStat).map(
      (m: Json) => m.MetricStat.Metric.MetricName,
    );
    expect(metricNames?.sort()).toEqual(['5xx', 'Count']);
    expect(alarms.some((a) => a.MetricName === 'Latency' && a.ExtendedStatistic === 'p99')).toBe(true);
    const [dlqId] = dev.ofType('AWS::SQS::Queue').find(([, q]) => !q.Properties.RedrivePolicy) as [
      string,
      Json,
    ];
    const dlqAlarm = alarms.find(
      (a) => a.MetricName === 'ApproximateNumberOfMessagesVisible' && refersTo(a.Dimensions, dlqId),
    );
    expect(dlqAlarm).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    // Parked webhook events: the metric lib/webhooks/dispatch.ts counts, with Powertools' service dimension
    expect(alarms.find((a) => a.MetricName === 'WebhookEventsParked')).toMatchObject({
      Namespace: 'TokenVault',
      Dimensions: [{ Name: 'service', Value: 'token-vault' }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(dev.ofType('AWS::CloudWatch::Dashboard')).toHaveLength(1);
  });

  it('sends alarms to an existing topic when given one', () => {
    // Prepare
    const arn = 'arn:aws:sns:eu-west-1:111122223333:ops';

    // Act
    const s = synth({ alarmTopicArn: arn });

    // Assess
    expect(s.ofType('AWS::SNS::Topic')).toEqual([]);
    for (const [, a] of s.ofType('AWS::CloudWatch::Alarm')) expect(a.Properties.AlarmActions).toEqual([arn]);
  });
});

describe('stack', () => {
  it('is named TokenVault-<stage> and outputs what an operator needs', () => {
    // Assess
    expect(dev.stack.stackName).toBe('TokenVault-dev');
    expect(prod.stack.stackName).toBe('TokenVault-prod');
    expect(Object.keys(dev.template.toJSON().Outputs).sort()).toEqual([
      'AlarmTopicArn',
      'ApiUrl',
      'KeyArn',
      'RegistrationSecretArn',
      'TableName',
    ]);
  });

  it('passes cdk-nag AwsSolutions with every finding acknowledged (dev and prod)', () => {
    // Act
    const synthDev = () => build().app.synth();
    const synthProd = () => build({ stage: 'prod' }).app.synth();

    // Assess
    expect(synthDev).not.toThrow();
    expect(synthProd).not.toThrow();
  });

  it('fails the synth on an unacknowledged cdk-nag finding (the check is live)', () => {
    // Prepare
    const { app, stack } = build();
    new sns.Topic(stack, 'PlainTopic');

    // Act
    const synthesizing = () => app.synth();

    // Assess
    expect(synthesizing).toThrow(/AwsSolutions-SNS3/);
  });

  it('stays under CloudFormation’s 500 resources, with headroom', () => {
    // Assess: about 7 resources per route (function, role, policy, log group, route, integration, permission).
    expect(Object.keys(dev.resources).length).toBeLessThan(450);
  });
});
