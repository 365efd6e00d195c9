import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { jobs, routeList } from '../functions/routes.js';
import { AuditExport } from './audit-export.js';
import { resolveSettings, type TokenVaultProps } from './props.js';
import { VaultApi } from './vault/api.js';
import { VaultFunctions } from './vault/functions.js';
import { VaultKey } from './vault/key.js';
import { VaultMonitoring } from './vault/monitoring.js';
import { vaultTable } from './vault/table.js';
import type { VaultFunction } from './vault-function.js';

export type { BillingProps, ThrottlingProps, TokenVaultProps } from './props.js';
export { STAGE_PATTERN } from './props.js';
export { USAGE_FLUSH_ATTRIBUTES } from './vault/functions.js';

/**
 * The token vault: one DynamoDB table, one KMS key, one Lambda function per route of the route
 * table (functions/routes.ts) and per job, an HTTP API in front of the routes, the webhook queue,
 * the refresh schedule, alarms and a dashboard.
 *
 * Its parts (infra/vault/: key, table, functions, API, monitoring) create their resources in this
 * construct's own scope, not in child constructs: a child would add a level to every construct
 * path and so change every logical id, and CloudFormation would replace the table (its data with
 * it) and fail on the functions' fixed names.
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
  readonly functions: Record<string, VaultFunction>;
  /** The EventBridge rule of each scheduled job, by job id. */
  readonly schedules: Record<string, events.Rule>;
  /** Present with the `auditExport` prop. */
  readonly auditExport?: AuditExport;

  constructor(scope: Construct, id: string, props: TokenVaultProps) {
    super(scope, id);
    const settings = resolveSettings(props);
    this.stage = settings.stage;

    const key = new VaultKey(this, settings, props.encryptionKey);
    this.key = key.key;
    this.table = vaultTable(this, settings, this.key, Boolean(props.auditExport));
    if (props.auditExport) {
      this.auditExport = new AuditExport(this, 'AuditExport', {
        ...props.auditExport,
        table: this.table,
        removalPolicy: settings.removalPolicy,
      });
    }

    const fns = new VaultFunctions(this, {
      settings,
      routes: routeList,
      jobs,
      table: this.table,
      key: this.key,
      publicUrl: props.publicUrl,
      billing: props.billing,
    });
    key.grantDataKeys(fns.users(routeList, jobs));
    fns.addTriggers(this, settings, jobs);
    this.functions = fns.functions;
    this.schedules = fns.schedules;
    this.registrationSecret = fns.registrationSecret;
    this.webhookQueue = fns.webhookQueue;
    this.webhookDeadLetterQueue = fns.webhookDeadLetterQueue;

    const api = new VaultApi(this, settings, routeList, (fid) => fns.fn(fid));
    this.api = api.api;
    this.apiStage = api.apiStage;
    this.url = this.apiStage.url;

    const monitoring = new VaultMonitoring(this, {
      settings,
      alarmTopic: props.alarmTopic,
      functions: this.functions,
      api: this.api,
      webhookQueue: this.webhookQueue,
      webhookDeadLetterQueue: this.webhookDeadLetterQueue,
    });
    this.alarmTopic = monitoring.alarmTopic;
    this.dashboard = monitoring.dashboard;
  }
}
