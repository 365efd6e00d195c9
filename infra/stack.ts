import {
  type App,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct, Node } from 'constructs';
import { checkStage } from './props.js';
import { TokenVault, type TokenVaultProps } from './token-vault.js';

/** The settings this repo's app reads from CDK context (`-c name=value` or cdk.json's `context`). */
export interface VaultContext {
  stage: string;
  registration?: 'open' | 'closed';
  corsOrigins?: string[];
  rateLimit?: number;
  burstLimit?: number;
  logRetentionDays?: logs.RetentionDays;
  alarmTopicArn?: string;
  kmsKeyArn?: string;
  removalPolicy?: RemovalPolicy;
  refreshIntervalSeconds?: number;
  authCacheTtlSeconds?: number;
  /** Billing: the Secrets Manager secrets (names or ARNs) holding the Stripe key and signing secret. */
  stripeSecretKeySecret?: string;
  stripeWebhookSecret?: string;
  /** Billing: the plan list as JSON (BILLING_PLANS); grace days; the built-in pro plan's price. */
  billingPlans?: string;
  billingGraceDays?: number;
  stripeProPriceId?: string;
  /** Export audit events to S3 (`-c auditExport=true`). */
  auditExport?: boolean;
}

/** Reads the vault's settings from CDK context; a bad value fails with the context key's name. */
export function vaultContext(node: Node): VaultContext {
  const get = (key: string): unknown => node.tryGetContext(key);
  const str = (key: string): string | undefined => {
    const v = get(key);
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw new Error(`Context ${key}: expected a string, got ${JSON.stringify(v)}`);
    return v;
  };
  const num = (key: string): number | undefined => {
    const v = get(key);
    if (v === undefined || v === null || v === '') return undefined;
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n)) throw new Error(`Context ${key}: expected a number, got ${JSON.stringify(v)}`);
    return n;
  };

  // Values are checked where the construct checks its props (infra/props.ts); here only parsed.
  const registration = str('registration') as VaultContext['registration'];
  const cors = get('corsOrigins');
  const corsOrigins = Array.isArray(cors)
    ? cors.map(String)
    : typeof cors === 'string'
      ? cors
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : undefined;
  const retention = num('logRetentionDays') as logs.RetentionDays | undefined;
  const removal = str('removalPolicy');
  if (removal !== undefined && removal !== 'retain' && removal !== 'destroy') {
    throw new Error(`Context removalPolicy: 'retain' or 'destroy', got '${removal}'`);
  }

  // Checked before the construct does: the stage names the stack.
  const stage = str('stage') ?? 'dev';
  checkStage(stage);

  return {
    stage,
    registration,
    corsOrigins,
    rateLimit: num('rateLimit'),
    burstLimit: num('burstLimit'),
    logRetentionDays: retention,
    alarmTopicArn: str('alarmTopicArn'),
    kmsKeyArn: str('kmsKeyArn'),
    removalPolicy:
      removal === undefined ? undefined : removal === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    refreshIntervalSeconds: num('refreshIntervalSeconds'),
    authCacheTtlSeconds: num('authCacheTtlSeconds'),
    stripeSecretKeySecret: str('stripeSecretKeySecret'),
    stripeWebhookSecret: str('stripeWebhookSecret'),
    billingPlans: str('billingPlans'),
    billingGraceDays: num('billingGraceDays'),
    stripeProPriceId: str('stripeProPriceId'),
    auditExport: get('auditExport') === true || get('auditExport') === 'true',
  };
}

/** Billing is on when both Stripe secrets are named; one without the other is a mistake. */
function billingProps(s: VaultContext): TokenVaultProps['billing'] {
  if (!s.stripeSecretKeySecret && !s.stripeWebhookSecret) return undefined;
  if (!s.stripeSecretKeySecret || !s.stripeWebhookSecret) {
    throw new Error('Context stripeSecretKeySecret and stripeWebhookSecret: give both to turn billing on');
  }
  return {
    stripeSecretKeySecret: s.stripeSecretKeySecret,
    stripeWebhookSecret: s.stripeWebhookSecret,
    plans: s.billingPlans ? (JSON.parse(s.billingPlans) as Record<string, unknown>[]) : undefined,
    graceDays: s.billingGraceDays,
    proPriceId: s.stripeProPriceId,
  };
}

export interface TokenVaultStackProps extends StackProps {
  readonly settings: VaultContext;
}

/** This repo's stack: one TokenVault and its outputs. */
export class TokenVaultStack extends Stack {
  readonly vault: TokenVault;

  constructor(scope: Construct, id: string, props: TokenVaultStackProps) {
    super(scope, id, props);
    const s = props.settings;
    const vaultProps: TokenVaultProps = {
      stage: s.stage,
      registration: s.registration,
      corsOrigins: s.corsOrigins,
      throttling: { rateLimit: s.rateLimit, burstLimit: s.burstLimit },
      logRetention: s.logRetentionDays,
      removalPolicy: s.removalPolicy,
      alarmTopic: s.alarmTopicArn ? sns.Topic.fromTopicArn(this, 'AlarmTopic', s.alarmTopicArn) : undefined,
      encryptionKey: s.kmsKeyArn ? kms.Key.fromKeyArn(this, 'ExistingKey', s.kmsKeyArn) : undefined,
      refreshInterval:
        s.refreshIntervalSeconds === undefined ? undefined : Duration.seconds(s.refreshIntervalSeconds),
      authCacheTtl: s.authCacheTtlSeconds === undefined ? undefined : Duration.seconds(s.authCacheTtlSeconds),
      billing: billingProps(s),
      auditExport: s.auditExport ? {} : undefined,
    };
    this.vault = new TokenVault(this, 'Vault', vaultProps);

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the vault API', value: this.vault.url });
    new CfnOutput(this, 'TableName', { description: 'DynamoDB table', value: this.vault.table.tableName });
    new CfnOutput(this, 'KeyArn', {
      description: 'KMS key (data keys, table encryption)',
      value: this.vault.key.keyArn,
    });
    new CfnOutput(this, 'RegistrationSecretArn', {
      description: 'Secrets Manager secret: X-Registration-Secret for POST /v1/auth/register',
      value: this.vault.registrationSecret.secretArn,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'SNS topic of the alarms',
      value: this.vault.alarmTopic.topicArn,
    });
  }
}

/**
 * This repo's app: the stack `TokenVault-<stage>` from CDK context, checked by cdk-nag's
 * AwsSolutions pack (an unacknowledged finding fails the synth).
 */
export function addVaultStack(app: App): TokenVaultStack {
  const settings = vaultContext(app.node);
  const stack = new TokenVaultStack(app, `TokenVault-${settings.stage}`, {
    settings,
    description: `Token vault (${settings.stage}): OAuth token storage, refresh and webhooks`,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
