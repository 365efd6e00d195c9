import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { Access, JobDef, VaultRouteDef } from '../../functions/defs.js';
import { keys } from '../../lib/store/keys.js';
import { type BillingProps, checkRate, type Settings } from '../props.js';
import { type VaultEnvironment, VaultFunction } from '../vault-function.js';

/** Powertools' service name (the `service` dimension of every custom metric) and metrics namespace. */
export const SERVICE_NAME = 'token-vault';
export const METRICS_NAMESPACE = 'TokenVault';

const ROUTE_TIMEOUT = Duration.seconds(10);
/**
 * Routes that call OAuth providers (10 s timeout each) or wait for another process's refresh:
 * just under HTTP API's 30 s integration limit, so a refresh is never cut off between the
 * provider's answer (a rotated refresh token) and storing it.
 */
const OUTBOUND_ROUTE_TIMEOUT = Duration.seconds(29);
const DLQ_MAX_RECEIVE_COUNT = 5;

interface FunctionDef {
  id: string;
  entry: string;
  summary: string;
  access: Access;
  authenticated: boolean;
  timeout: Duration;
  job?: JobDef;
  assets?: string[];
}

export interface VaultFunctionsProps {
  settings: Settings;
  routes: VaultRouteDef[];
  jobs: JobDef[];
  table: dynamodb.Table;
  key: kms.IKey;
  publicUrl?: string;
  billing?: BillingProps;
}

/**
 * One Lambda function per route and per job, each with the IAM its definition's `access` allows,
 * and what they share or are triggered by: the registration secret, the webhook queue (and its
 * dead-letter queue), the Stripe secrets, the schedules.
 */
export class VaultFunctions {
  readonly registrationSecret: secretsmanager.Secret;
  readonly webhookQueue: sqs.Queue;
  readonly webhookDeadLetterQueue: sqs.Queue;
  /** Every function by route or job id. */
  readonly functions: Record<string, VaultFunction> = {};
  /** The EventBridge rule of each scheduled job, by job id. */
  readonly schedules: Record<string, events.Rule> = {};

  constructor(scope: Construct, props: VaultFunctionsProps) {
    const { settings, routes, jobs, table, key, billing } = props;
    const { stage, namePrefix, removalPolicy, logRetention } = settings;
    const stack = Stack.of(scope);

    // --- Registration secret (read by the functions whose access says so: Register) ------------
    this.registrationSecret = new secretsmanager.Secret(scope, 'RegistrationSecret', {
      description: `Token vault (${stage}): operator secret for POST /v1/auth/register (X-Registration-Secret) when registration is closed`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy,
    });
    Validations.of(this.registrationSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'An operator secret, not a credential of another service: nothing could rotate it on both sides. Rotate it by hand (put-secret-value); the Register function reads it per request.',
    });

    // --- Webhook queue ----------------------------------------------------------------------
    const queueJobs = jobs.filter((j) => j.trigger === 'queue');
    if (queueJobs.length > 1)
      throw new Error(`At most one job may consume the webhook queue, got ${queueJobs.length}`);
    const consumerTimeout = queueJobs[0] ? Duration.seconds(queueJobs[0].timeoutSeconds) : ROUTE_TIMEOUT;
    this.webhookDeadLetterQueue = new sqs.Queue(scope, 'WebhookDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.webhookQueue = new sqs.Queue(scope, 'WebhookQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Lambda's advice for an SQS event source: at least six times the consumer's timeout.
      visibilityTimeout: Duration.seconds(Math.max(30, consumerTimeout.toSeconds() * 6)),
      deadLetterQueue: { queue: this.webhookDeadLetterQueue, maxReceiveCount: DLQ_MAX_RECEIVE_COUNT },
    });

    // --- Functions --------------------------------------------------------------------------
    const commonEnv: VaultEnvironment = {
      TABLE_NAME: table.tableName,
      KMS_KEY_ID: key.keyArn,
      STAGE: stage,
      REGISTRATION: settings.registration,
      AUTH_CACHE_TTL_SECONDS: String(settings.authCacheTtl.toSeconds()),
      CORS_ORIGINS: settings.corsOrigins.join(','),
      REFRESH_INTERVAL_SECONDS: String(settings.refreshInterval.toSeconds()),
      ...(props.publicUrl ? { PUBLIC_URL: props.publicUrl } : {}),
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    };
    // --- Billing (optional): Stripe secrets by name, never their values ---------------------------
    const stripeSecret = (logicalId: string, nameOrArn: string) =>
      nameOrArn.startsWith('arn:')
        ? secretsmanager.Secret.fromSecretCompleteArn(scope, logicalId, nameOrArn)
        : secretsmanager.Secret.fromSecretNameV2(scope, logicalId, nameOrArn);
    const stripeKey = billing ? stripeSecret('StripeSecretKey', billing.stripeSecretKeySecret) : undefined;
    const stripeWebhook = billing
      ? stripeSecret('StripeWebhookSecret', billing.stripeWebhookSecret)
      : undefined;
    if (billing) {
      Object.assign(commonEnv, {
        BILLING: 'stripe',
        BILLING_GRACE_DAYS: String(billing.graceDays ?? 7),
        ...(billing.plans ? { BILLING_PLANS: JSON.stringify(billing.plans) } : {}),
        ...(billing.proPriceId ? { STRIPE_PRO_PRICE_ID: billing.proPriceId } : {}),
        ...(billing.meterEventName ? { STRIPE_METER_EVENT_NAME: billing.meterEventName } : {}),
      });
    }
    const accessTargets = {
      tableArn: table.tableArn,
      keyArn: key.keyArn,
      queueArn: this.webhookQueue.queueArn,
      dynamoDbService: `dynamodb.${stack.region}.${stack.urlSuffix}`,
    };
    const defs: FunctionDef[] = [
      ...routes.map((r) => ({
        id: r.id,
        entry: r.entry,
        summary: `${r.method} ${r.path}: ${r.summary}`,
        access: r.access,
        authenticated: r.scope !== null,
        // A route that calls a provider, itself or through a function it invokes, waits on it.
        timeout: r.access.outbound || r.access.invoke?.length ? OUTBOUND_ROUTE_TIMEOUT : ROUTE_TIMEOUT,
        assets: r.assets,
      })),
      ...jobs.map((j) => ({
        id: j.id,
        entry: j.entry,
        summary: `${j.trigger} job: ${j.summary}`,
        access: j.access,
        authenticated: false,
        timeout: Duration.seconds(j.timeoutSeconds),
        job: j,
      })),
    ];
    for (const def of defs) {
      const usesQueue = def.access.queue === true || def.job?.trigger === 'queue';
      const readsRegistrationSecret = def.access.registrationSecret === true;
      const fn = new VaultFunction(scope, def.id, {
        entry: def.entry,
        functionName: `${namePrefix}-${def.id}`,
        description: def.summary.slice(0, 256),
        access: def.access,
        authenticated: def.authenticated,
        targets: accessTargets,
        environment: {
          ...commonEnv,
          ...(usesQueue ? { WEBHOOK_QUEUE_URL: this.webhookQueue.queueUrl } : {}),
          ...(readsRegistrationSecret ? { REGISTRATION_SECRET_ARN: this.registrationSecret.secretArn } : {}),
          ...(stripeKey && def.access.stripe ? { STRIPE_SECRET_KEY_ARN: stripeKey.secretArn } : {}),
          ...(stripeWebhook && def.access.stripeWebhookSecret
            ? { STRIPE_WEBHOOK_SECRET_ARN: stripeWebhook.secretArn }
            : {}),
        },
        timeout: def.timeout,
        logRetention,
        removalPolicy,
        assets: def.assets,
      });
      if (stripeKey && stripeWebhook) addBillingAccess(fn, def, table.tableArn, stripeKey, stripeWebhook);
      if (readsRegistrationSecret) {
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            sid: 'RegistrationSecretRead',
            actions: ['secretsmanager:GetSecretValue'],
            resources: [this.registrationSecret.secretArn],
          }),
        );
      }
      this.functions[def.id] = fn;
    }

    // Functions that invoke others (GetToken → RefreshOnDemand): their names, and the right to
    // invoke exactly those.
    for (const def of defs.filter((d) => d.access.invoke?.length)) {
      const invoked = (def.access.invoke ?? []).map((id) => this.fn(id));
      const fn = this.fn(def.id);
      fn.addEnvironment(
        'INVOKE_FUNCTIONS',
        stack.toJsonString(
          Object.fromEntries((def.access.invoke ?? []).map((id, i) => [id, invoked[i]?.functionName])),
        ),
      );
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'InvokeFunctions',
          actions: ['lambda:InvokeFunction'],
          resources: invoked.map((t) => t.functionArn),
        }),
      );
    }
  }

  /** Triggers: each schedule job on its own rule, the queue job on the webhook queue. */
  addTriggers(scope: Construct, settings: Settings, jobs: JobDef[]): void {
    for (const job of jobs.filter((j) => j.trigger === 'schedule')) {
      const period =
        job.everySeconds === undefined ? settings.refreshInterval : Duration.seconds(job.everySeconds);
      checkRate(`job ${job.id} everySeconds`, period);
      const fn = this.fn(job.id);
      // A failed run is not retried: the next tick is the retry, and runs don't pile up.
      fn.configureAsyncInvoke({
        retryAttempts: 0,
        maxEventAge: Duration.seconds(Math.max(60, period.toSeconds())),
      });
      const rule = new events.Rule(scope, `${job.id}Schedule`, {
        description: `Token vault (${settings.stage}): runs ${job.id} every ${period.toMinutes()} min`,
        schedule: events.Schedule.rate(period),
      });
      rule.addTarget(new targets.LambdaFunction(fn, { retryAttempts: 2 }));
      this.schedules[job.id] = rule;
    }
    for (const job of jobs.filter((j) => j.trigger === 'queue')) {
      this.fn(job.id).addEventSource(
        new SqsEventSource(this.webhookQueue, { batchSize: 10, reportBatchItemFailures: true }),
      );
    }
  }

  /** The functions with what they may touch (for the key policy). */
  users(routes: VaultRouteDef[], jobs: JobDef[]): { access: Access; role: iam.IRole }[] {
    return [...routes, ...jobs].map((d) => ({ access: d.access, role: this.fn(d.id).role as iam.IRole }));
  }

  fn(id: string): VaultFunction {
    const fn = this.functions[id];
    if (!fn) throw new Error(`No function ${id}`);
    return fn;
  }
}

/** What a usage flush (lib/store/billing `addCalls`) names, for functions that otherwise only read. */
export const USAGE_FLUSH_ATTRIBUTES = [
  'PK',
  'SK',
  'api_calls',
  'type',
  'tenant_id',
  'month',
  'GSI3PK',
  'GSI3SK',
  'reported',
];

/**
 * Billing on: the functions that call Stripe read its secret key (and the Stripe events route its
 * signing secret); every authenticated function counts calls, so read-only ones may also update a
 * tenant's usage item, those attributes only.
 */
function addBillingAccess(
  fn: VaultFunction,
  def: { access: Access; authenticated: boolean },
  tableArn: string,
  stripeKey: secretsmanager.ISecret,
  stripeWebhook: secretsmanager.ISecret,
): void {
  // Imported by name: grantRead names the secret's ARN with Secrets Manager's random suffix.
  if (def.access.stripe) stripeKey.grantRead(fn);
  if (def.access.stripeWebhookSecret) stripeWebhook.grantRead(fn);
  if (def.authenticated && def.access.table !== 'write') {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'BillingUsageCount',
        actions: ['dynamodb:UpdateItem'],
        resources: [tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [keys.tenant('*').PK] },
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': USAGE_FLUSH_ATTRIBUTES },
        },
      }),
    );
  }
}
