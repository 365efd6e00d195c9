import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { JobDef, VaultRouteDef } from '../functions/defs.js';
import { jobs, routeList } from '../functions/routes.js';
import { keys, tableDefinition } from '../lib/store/keys.js';
import { dekCondition, KMS_ACTIONS } from './access.js';
import { type VaultEnvironment, VaultFunction } from './vault-function.js';

/** Powertools' service name (the `service` dimension of every custom metric) and metrics namespace. */
const SERVICE_NAME = 'token-vault';
const METRICS_NAMESPACE = 'TokenVault';

/** API Gateway stage throttling, for the whole API (every route). */
export interface ThrottlingProps {
  /** Steady-state requests per second. @default 100 */
  readonly rateLimit?: number;
  /** Requests allowed in a burst above the rate. @default 200 */
  readonly burstLimit?: number;
}

export interface TokenVaultProps {
  /**
   * Stage name (`dev`, `staging`, `prod`, ...): lower case letters, digits and dashes, at most 20
   * characters. Names the key alias, the functions and the dashboard, and sets the defaults of
   * `removalPolicy`.
   */
  readonly stage: string;
  /**
   * Who may register a tenant: anyone (`open`), or only a caller presenting the generated
   * registration secret in `X-Registration-Secret` (`closed`).
   * @default 'closed'
   */
  readonly registration?: 'open' | 'closed';
  /**
   * Browser origins allowed to call the API (CORS), e.g. `['https://app.example.com']`. Empty:
   * no CORS configuration, so browsers on other origins cannot call it.
   * @default []
   */
  readonly corsOrigins?: string[];
  /** API Gateway stage throttling. @default { rateLimit: 100, burstLimit: 200 } */
  readonly throttling?: ThrottlingProps;
  /** Retention of the functions' logs and the API's access logs. @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /**
   * An existing SNS topic for the alarms. If omitted, the vault creates one; subscribe to it
   * (`aws sns subscribe ...`) to receive the alarms.
   * @default - a new topic
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * What happens to the table, the KMS key, the registration secret and the log groups when they
   * leave the stack. Anything but `DESTROY` also turns on the table's deletion protection.
   * @default RemovalPolicy.RETAIN, except RemovalPolicy.DESTROY for the stage 'dev'
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * An existing symmetric KMS key to use instead of creating one. Its key policy is not changed
   * (it cannot be from here): it must let IAM policies grant its use (the default key policy's
   * statement giving the account root `kms:*` does), because the vault grants its functions the
   * key through IAM only. Without it, the vault creates a key whose policy names the functions.
   * @default - a new key, rotated yearly, with the alias `alias/token-vault-<stage>`
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How often the scheduled refresh job runs (and any scheduled job without its own
   * `everySeconds`): whole minutes, at least one.
   * @default Duration.minutes(5)
   */
  readonly refreshInterval?: Duration;
  /**
   * How long a function trusts a verified API key before checking it again (revocation takes
   * effect within this time). Zero disables the cache.
   * @default Duration.seconds(60)
   */
  readonly authCacheTtl?: Duration;
  /**
   * The vault's public base URL (e.g. `https://vault.example.com` behind a custom domain), used in
   * the OAuth redirect URIs it hands out.
   * @default the Host of each request (the API's execute-api domain)
   */
  readonly publicUrl?: string;
  /**
   * Prefix of the physical names (functions, key alias, dashboard). Change it to deploy two
   * vaults of the same stage into one account and region.
   * @default `token-vault-<stage>`
   */
  readonly namePrefix?: string;
  /**
   * Billing through Stripe (`BILLING=stripe`): plans, limits, Checkout, the Customer Portal and
   * usage reported as meter events. Without it billing is off and nothing of it is deployed
   * beyond the billing routes, which answer 404.
   * @default - billing off
   */
  readonly billing?: BillingProps;
}

export interface BillingProps {
  /**
   * Name (or complete ARN) of an existing Secrets Manager secret whose string value is the Stripe
   * secret key (`sk_live_...`, or a restricted key). Only the functions that call Stripe may read it.
   */
  readonly stripeSecretKeySecret: string;
  /** Name (or complete ARN) of the secret holding the Stripe endpoint's signing secret (`whsec_...`). */
  readonly stripeWebhookSecret: string;
  /** The plan list (`BILLING_PLANS`, see the README). @default - the built-in free and pro pair */
  readonly plans?: Record<string, unknown>[];
  /** The built-in `pro` plan's Stripe price, when `plans` is not given. */
  readonly proPriceId?: string;
  /** Days a failed payment is tolerated before the tenant is read-only. @default 7 */
  readonly graceDays?: number;
  /** The Billing Meter's event name. @default 'vault_api_calls' */
  readonly meterEventName?: string;
}

/** Stage names: they become part of physical names (functions, alias, stack). */
export const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;

const ROUTE_TIMEOUT = Duration.seconds(10);
/**
 * Routes that call OAuth providers (10 s timeout each) or wait for another process's refresh:
 * just under HTTP API's 30 s integration limit, so a refresh is never cut off between the
 * provider's answer (a rotated refresh token) and storing it.
 */
const OUTBOUND_ROUTE_TIMEOUT = Duration.seconds(29);
const DLQ_MAX_RECEIVE_COUNT = 5;
const ALARM_PERIOD = Duration.minutes(5);
/** CloudWatch: an alarm's metric math can reference at most 10 metrics. */
const MAX_METRICS_PER_ALARM = 10;
/** Percentage of requests answered 5xx that raises the alarm. */
const API_5XX_RATE_THRESHOLD = 5;
const API_P99_LATENCY_THRESHOLD_MS = 3000;

/** Key policy actions for administering the key, not using it (no kms:CreateGrant, no crypto). */
const KEY_ADMIN_ACTIONS = [
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:Describe*',
  'kms:Get*',
  'kms:List*',
  'kms:Enable*',
  'kms:Disable*',
  'kms:Put*',
  'kms:Update*',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

/**
 * What DynamoDB needs on a customer managed key to encrypt a table, on behalf of the principal
 * creating or using the table (AWS docs, "DynamoDB encryption at rest: key policy for a customer
 * managed key"): it creates grants for its own maintenance and decrypts the table key per request.
 */
const DYNAMODB_SSE_ACTIONS = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncrypt*',
  'kms:GenerateDataKey*',
  'kms:DescribeKey',
  'kms:CreateGrant',
];

interface FunctionDef {
  id: string;
  entry: string;
  summary: string;
  access: VaultRouteDef['access'];
  authenticated: boolean;
  timeout: Duration;
  job?: JobDef;
  assets?: string[];
}

/**
 * The token vault: one DynamoDB table, one KMS key, one Lambda function per route of the route
 * table (functions/routes.ts) and per job, an HTTP API in front of the routes, the webhook queue,
 * the refresh schedule, alarms and a dashboard.
 */
export class TokenVault extends Construct {
  readonly stage: string;
  readonly table: dynamodb.Table;
  readonly key: kms.IKey;
  readonly api: apigw.HttpApi;
  readonly apiStage: apigw.HttpStage;
  /** The API's base URL (ends with `/`). */
  readonly url: string;
  readonly registrationSecret: secretsmanager.Secret;
  readonly webhookQueue: sqs.Queue;
  readonly webhookDeadLetterQueue: sqs.Queue;
  readonly alarmTopic: sns.ITopic;
  readonly dashboard: cloudwatch.Dashboard;
  /** Every function by route or job id. */
  readonly functions: Record<string, VaultFunction> = {};
  /** The EventBridge rule of each scheduled job, by job id. */
  readonly schedules: Record<string, events.Rule> = {};

  constructor(scope: Construct, id: string, props: TokenVaultProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const settings = resolveSettings(props);
    const { stage, namePrefix, removalPolicy, logRetention } = settings;
    this.stage = stage;

    // --- KMS key ---------------------------------------------------------------------------
    const ownKey = props.encryptionKey
      ? undefined
      : new kms.Key(this, 'Key', {
          description: `Token vault (${stage}): wraps tenants' data keys; encrypts the table`,
          enableKeyRotation: true,
          alias: `alias/${namePrefix}`,
          removalPolicy,
          ...(removalPolicy === RemovalPolicy.DESTROY ? { pendingWindow: Duration.days(7) } : {}),
          // Replaces CDK's default policy (which gives the account root kms:*): the account may
          // administer the key; only the vault's functions and DynamoDB (for the table) use it.
          policy: new iam.PolicyDocument({
            statements: [
              new iam.PolicyStatement({
                sid: 'KeyAdministration',
                principals: [new iam.AccountRootPrincipal()],
                actions: KEY_ADMIN_ACTIONS,
                resources: ['*'],
              }),
              new iam.PolicyStatement({
                sid: 'TableEncryptionViaDynamoDB',
                principals: [new iam.AccountRootPrincipal()],
                actions: DYNAMODB_SSE_ACTIONS,
                resources: ['*'],
                conditions: {
                  StringEquals: {
                    'kms:ViaService': `dynamodb.${stack.region}.${stack.urlSuffix}`,
                    'kms:CallerAccount': stack.account,
                  },
                },
              }),
            ],
          }),
        });
    this.key = props.encryptionKey ?? (ownKey as kms.Key);

    // --- DynamoDB table (shape from lib/store/keys.ts) ------------------------------------------
    const str = (name: string) => ({ name, type: dynamodb.AttributeType.STRING });
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: str(tableDefinition.partitionKey),
      sortKey: str(tableDefinition.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      timeToLiveAttribute: tableDefinition.ttlAttribute,
      deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
      removalPolicy,
    });
    for (const index of tableDefinition.indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: str(index.partitionKey),
        sortKey: str(index.sortKey),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    // --- Registration secret (read by the Register function only) --------------------------------
    this.registrationSecret = new secretsmanager.Secret(this, 'RegistrationSecret', {
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
    this.webhookDeadLetterQueue = new sqs.Queue(this, 'WebhookDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.webhookQueue = new sqs.Queue(this, 'WebhookQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Lambda's advice for an SQS event source: at least six times the consumer's timeout.
      visibilityTimeout: Duration.seconds(Math.max(30, consumerTimeout.toSeconds() * 6)),
      deadLetterQueue: { queue: this.webhookDeadLetterQueue, maxReceiveCount: DLQ_MAX_RECEIVE_COUNT },
    });

    // --- Functions --------------------------------------------------------------------------
    const commonEnv: VaultEnvironment = {
      TABLE_NAME: this.table.tableName,
      KMS_KEY_ID: this.key.keyArn,
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
    const billing = props.billing;
    const stripeSecret = (logicalId: string, nameOrArn: string) =>
      nameOrArn.startsWith('arn:')
        ? secretsmanager.Secret.fromSecretCompleteArn(this, logicalId, nameOrArn)
        : secretsmanager.Secret.fromSecretNameV2(this, logicalId, nameOrArn);
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
      tableArn: this.table.tableArn,
      keyArn: this.key.keyArn,
      queueArn: this.webhookQueue.queueArn,
      dynamoDbService: `dynamodb.${stack.region}.${stack.urlSuffix}`,
    };
    const defs: FunctionDef[] = [
      ...routeList.map((r) => ({
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
      const fn = new VaultFunction(this, def.id, {
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
      if (stripeKey && stripeWebhook)
        addBillingAccess(fn, def, this.table.tableArn, stripeKey, stripeWebhook);
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
      const targets = (def.access.invoke ?? []).map((id) => this.fn(id));
      const fn = this.fn(def.id);
      fn.addEnvironment(
        'INVOKE_FUNCTIONS',
        stack.toJsonString(
          Object.fromEntries((def.access.invoke ?? []).map((id, i) => [id, targets[i]?.functionName])),
        ),
      );
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'InvokeFunctions',
          actions: ['lambda:InvokeFunction'],
          resources: targets.map((t) => t.functionArn),
        }),
      );
    }

    // Only the vault's functions use the key for data keys, and only for data keys. An existing
    // key's policy cannot be changed from here: the IAM statements on the roles grant it then.
    if (ownKey) {
      for (const op of ['decrypt', 'generate'] as const) {
        const users = defs.filter((d) => d.access.kms.includes(op));
        if (users.length === 0) continue;
        ownKey.addToResourcePolicy(
          new iam.PolicyStatement({
            sid: op === 'decrypt' ? 'DataKeyDecryptByVaultFunctions' : 'DataKeyGenerateByVaultFunctions',
            principals: users.map((d) => this.fn(d.id).role as iam.IRole),
            actions: [KMS_ACTIONS[op]],
            resources: ['*'],
            conditions: dekCondition(),
          }),
        );
      }
    }

    // --- Jobs: schedule and queue -------------------------------------------------------------
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
      const rule = new events.Rule(this, `${job.id}Schedule`, {
        description: `Token vault (${stage}): runs ${job.id} every ${period.toMinutes()} min`,
        schedule: events.Schedule.rate(period),
      });
      rule.addTarget(new targets.LambdaFunction(fn, { retryAttempts: 2 }));
      this.schedules[job.id] = rule;
    }
    for (const job of queueJobs) {
      this.fn(job.id).addEventSource(
        new SqsEventSource(this.webhookQueue, { batchSize: 10, reportBatchItemFailures: true }),
      );
    }

    // --- HTTP API -------------------------------------------------------------------------------
    this.api = new apigw.HttpApi(this, 'Api', {
      apiName: namePrefix,
      description: `Token vault (${stage})`,
      createDefaultStage: false,
      ...(settings.corsOrigins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: settings.corsOrigins,
              allowMethods: [...new Set(routeList.map((r) => r.method))].map((m) => apigw.CorsHttpMethod[m]),
              allowHeaders: ['authorization', 'content-type', 'x-registration-secret', 'idempotency-key'],
              exposeHeaders: [
                'location',
                'www-authenticate',
                'x-request-id',
                'retry-after',
                'idempotency-replayed',
              ],
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: logRetention, removalPolicy });
    this.apiStage = new apigw.HttpStage(this, 'ApiStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: settings.rateLimit, burstLimit: settings.burstLimit },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    this.url = this.apiStage.url;
    for (const route of routeList) {
      const httpRoute = new apigw.HttpRoute(this, `${route.id}Route`, {
        httpApi: this.api,
        routeKey: apigw.HttpRouteKey.with(route.path, apigw.HttpMethod[route.method]),
        integration: new HttpLambdaIntegration(`${route.id}Integration`, this.fn(route.id)),
      });
      Validations.of(httpRoute).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          route.scope === null
            ? `${route.method} ${route.path} is public by design (${route.summary}); what it needs (the operator secret for closed registration, the connect session's state for the OAuth callback) the function checks.`
            : `${route.method} ${route.path} is authorised by the function itself: a vault API key (bcrypt-verified) with the scope '${route.scope}'.`,
      });
    }

    // --- Alarms and dashboard ---------------------------------------------------------------------
    this.alarmTopic =
      props.alarmTopic ??
      new sns.Topic(this, 'AlarmTopic', { displayName: `Token vault (${stage}) alarms`, enforceSSL: true });
    const alarmAction = new cwActions.SnsAction(this.alarmTopic);
    const alarm = (
      cid: string,
      metric: cloudwatch.IMetric,
      opts: Omit<cloudwatch.CreateAlarmOptions, 'metric'>,
    ) => {
      const a = new cloudwatch.Alarm(this, cid, {
        metric,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...opts,
      });
      a.addAlarmAction(alarmAction);
      a.addOkAction(alarmAction);
      return a;
    };

    // Errors and throttles of every function, summed with metric math. An alarm's expression can
    // hold at most 10 metrics, so the functions are watched in groups of 10 (one alarm per 30
    // functions would also keep the stack far from CloudFormation's 500-resource limit).
    const fns = Object.entries(this.functions);
    const groups = chunk(fns, MAX_METRICS_PER_ALARM);
    for (const [metricName, what] of [
      ['Errors', 'failed (unhandled error or timeout)'],
      ['Throttles', 'were throttled (account or reserved concurrency exhausted)'],
    ] as const) {
      groups.forEach((group, i) => {
        const ids = group.map(([fid]) => fid);
        const sum = new cloudwatch.MathExpression({
          expression: 'SUM(METRICS())',
          usingMetrics: Object.fromEntries(
            group.map(([, fn], j) => [
              `m${j}`,
              fn.metric(metricName, { period: ALARM_PERIOD, statistic: 'Sum' }),
            ]),
          ),
          period: ALARM_PERIOD,
          label: `${metricName} (${ids.join(', ')})`,
        });
        alarm(`Function${metricName}Alarm${i + 1}`, sum, {
          alarmDescription: `Token vault (${stage}): functions ${what}; one of ${ids.join(', ')}`.slice(
            0,
            1024,
          ),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        });
      });
    }

    const requests = this.api.metricCount({ period: ALARM_PERIOD, statistic: 'Sum' });
    const serverErrors = this.api.metricServerError({ period: ALARM_PERIOD, statistic: 'Sum' });
    const clientErrors = this.api.metricClientError({ period: ALARM_PERIOD, statistic: 'Sum' });
    const latencyP99 = this.api.metricLatency({ period: ALARM_PERIOD, statistic: 'p99' });
    const serverErrorRate = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { requests, errors: serverErrors },
      period: ALARM_PERIOD,
      label: '5xx rate (%)',
    });
    alarm('Api5xxRateAlarm', serverErrorRate, {
      alarmDescription: `Token vault (${stage}): more than ${API_5XX_RATE_THRESHOLD}% of API requests answered 5xx`,
      threshold: API_5XX_RATE_THRESHOLD,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    alarm('ApiLatencyP99Alarm', latencyP99, {
      alarmDescription: `Token vault (${stage}): API p99 latency above ${API_P99_LATENCY_THRESHOLD_MS} ms`,
      threshold: API_P99_LATENCY_THRESHOLD_MS,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    alarm(
      'WebhookDeadLetterAlarm',
      this.webhookDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: ALARM_PERIOD,
        statistic: 'Maximum',
      }),
      {
        alarmDescription: `Token vault (${stage}): webhook deliveries gave up and are in the dead-letter queue`,
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
    );
    // Events that could not be fanned out after a few attempts (lib/webhooks/dispatch.ts): parked,
    // not delivered, and worth a look (the event item keeps the reason).
    alarm(
      'WebhookEventsParkedAlarm',
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: 'WebhookEventsParked',
        dimensionsMap: { service: SERVICE_NAME },
        period: ALARM_PERIOD,
        statistic: 'Sum',
      }),
      {
        alarmDescription: `Token vault (${stage}): webhook events could not be fanned out and were parked`,
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    );

    const perFunction = (f: (fn: VaultFunction) => cloudwatch.Metric) =>
      fns.map(([fid, fn]) => f(fn).with({ label: fid, period: ALARM_PERIOD }));
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: namePrefix,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.GraphWidget({ title: 'API requests', left: [requests], width: 8 }),
          new cloudwatch.GraphWidget({
            title: 'API 4xx / 5xx',
            left: [clientErrors, serverErrors],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'API latency (ms)',
            left: ['p50', 'p90', 'p99'].map((s) =>
              this.api.metricLatency({ period: ALARM_PERIOD, statistic: s, label: s }),
            ),
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Function errors',
            left: perFunction((fn) => fn.metricErrors({ statistic: 'Sum' })),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Function duration p99 (ms)',
            left: perFunction((fn) => fn.metricDuration({ statistic: 'p99' })),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Function throttles',
            left: perFunction((fn) => fn.metricThrottles({ statistic: 'Sum' })),
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Webhook queue',
            left: [
              this.webhookQueue.metricApproximateNumberOfMessagesVisible({ label: 'waiting' }),
              this.webhookDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: 'dead letters' }),
            ],
            width: 12,
          }),
        ],
      ],
    });
  }

  private fn(id: string): VaultFunction {
    const fn = this.functions[id];
    if (!fn) throw new Error(`No function ${id}`);
    return fn;
  }
}

/** HTTP API access log line (JSON): every value quoted, since an unset variable renders as `-`. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  method: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  latency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
  userAgent: '$context.identity.userAgent',
};

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
  def: { access: VaultRouteDef['access']; authenticated: boolean },
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

interface Settings {
  stage: string;
  namePrefix: string;
  registration: 'open' | 'closed';
  corsOrigins: string[];
  rateLimit: number;
  burstLimit: number;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
  refreshInterval: Duration;
  authCacheTtl: Duration;
}

const chunk = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** EventBridge rates are whole minutes. */
function checkRate(what: string, period: Duration): void {
  const seconds = period.toSeconds();
  if (seconds < 60 || seconds % 60 !== 0) {
    throw new Error(
      `TokenVault ${what}: whole minutes, at least one (an EventBridge rate), got ${seconds} s`,
    );
  }
}

/** Applies the defaults and checks the props, failing at synth with the prop's name. */
function resolveSettings(props: TokenVaultProps): Settings {
  const { stage } = props;
  if (!STAGE_PATTERN.test(stage)) {
    throw new Error(
      `TokenVault stage '${stage}': use 1-20 lower case letters, digits or dashes, starting with a letter`,
    );
  }
  const registration = props.registration ?? 'closed';
  if (registration !== 'open' && registration !== 'closed') {
    throw new Error(`TokenVault registration '${registration}': 'open' or 'closed'`);
  }
  const corsOrigins = props.corsOrigins ?? [];
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s,]+$/.test(origin)) {
      throw new Error(`TokenVault corsOrigins: '${origin}' is not an origin (scheme://host[:port], no path)`);
    }
  }
  const rateLimit = props.throttling?.rateLimit ?? 100;
  const burstLimit = props.throttling?.burstLimit ?? 200;
  if (!(rateLimit > 0) || !Number.isInteger(burstLimit) || burstLimit <= 0) {
    throw new Error('TokenVault throttling: rateLimit > 0 and a whole burstLimit > 0');
  }
  const refreshInterval = props.refreshInterval ?? Duration.minutes(5);
  const refreshSeconds = refreshInterval.toSeconds();
  if (refreshSeconds < 60 || refreshSeconds % 60 !== 0) {
    throw new Error(
      `TokenVault refreshInterval: whole minutes, at least one (EventBridge rates), got ${refreshSeconds} s`,
    );
  }
  const authCacheTtl = props.authCacheTtl ?? Duration.seconds(60);
  if (authCacheTtl.toSeconds() > 3600) throw new Error('TokenVault authCacheTtl: at most one hour');
  const namePrefix = props.namePrefix ?? `token-vault-${stage}`;
  if (!/^[a-zA-Z0-9-]{1,40}$/.test(namePrefix)) {
    throw new Error(`TokenVault namePrefix '${namePrefix}': 1-40 letters, digits or dashes`);
  }
  return {
    stage,
    namePrefix,
    registration,
    corsOrigins,
    rateLimit,
    burstLimit,
    logRetention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    removalPolicy: props.removalPolicy ?? (stage === 'dev' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN),
    refreshInterval,
    authCacheTtl,
  };
}
