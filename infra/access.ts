import * as iam from 'aws-cdk-lib/aws-iam';
import type { Access } from '../functions/defs.js';
import { dekContext } from '../lib/crypto/data-keys.js';
import { LAST_USED_ATTRIBUTE } from '../lib/store/api-keys.js';
import { keys, tableDefinition } from '../lib/store/keys.js';
import { LAST_SEEN_ATTRIBUTE } from '../lib/store/sessions.js';

// Least privilege, derived from a route's (or job's) declared `access`. Explicit statements, never
// `grantReadData`/`grantReadWriteData`: those add `index/*` and, on a table under a customer managed
// key, `kms:Encrypt`/`GenerateDataKey*` with no condition, so every writer could mint data keys.

/** The `purpose` of every data-key encryption context (`dekContext`); the key policy conditions on it. */
export const DEK_PURPOSE = dekContext('tenant', 1).purpose;

/** Partition of API-key records (`APIKEY#<keyId>`), as a `dynamodb:LeadingKeys` pattern. */
export const API_KEY_PARTITIONS = keys.apiKey('*').PK;

/**
 * What recording an API key's use (`last_used_at`) may name in `dynamodb:Attributes`: the
 * attribute itself plus the table's key attributes, which DynamoDB counts as accessed (the `Key`
 * and the `attribute_exists(PK)` condition).
 */
export const API_KEY_TOUCH_ATTRIBUTES = [
  tableDefinition.partitionKey,
  tableDefinition.sortKey,
  LAST_USED_ATTRIBUTE,
];

/** Audit partitions of every tenant (`TENANT#<id>#AUDIT#<month>`), as a `dynamodb:LeadingKeys` pattern. */
export const AUDIT_PARTITIONS = keys.auditMonth('*', '*').PK;

/** Partition of dashboard sessions (`SESSION#<hash>`), as a `dynamodb:LeadingKeys` pattern. */
export const SESSION_PARTITIONS = keys.dashboardSession('*').PK;
export const SESSION_TOUCH_ATTRIBUTES = [
  tableDefinition.partitionKey,
  tableDefinition.sortKey,
  LAST_SEEN_ATTRIBUTE,
];

export const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query'];
/** TransactWriteItems is authorised per item by these (there is no separate action for it). */
export const TABLE_WRITE_ACTIONS = [
  ...TABLE_READ_ACTIONS,
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
];

export const KMS_ACTIONS = { decrypt: 'kms:Decrypt', generate: 'kms:GenerateDataKey' } as const;

/** The resources a vault function may be granted access to. */
export interface AccessTargets {
  readonly tableArn: string;
  readonly keyArn: string;
  readonly queueArn: string;
  /** `dynamodb.<region>.<urlSuffix>`: the `kms:ViaService` of DynamoDB's own use of the key. */
  readonly dynamoDbService: string;
}

/** Index ARNs by name (`table/NAME/index/GSI1`, ...), never `index/*`. */
export const indexArns = (tableArn: string) =>
  tableDefinition.indexes.map((i) => `${tableArn}/index/${i.name}`);

/** Condition that limits a data-key operation to the vault's data keys. */
export const dekCondition = () => ({ StringEquals: { 'kms:EncryptionContext:purpose': DEK_PURPOSE } });

/**
 * The IAM statements a function with this `access` needs.
 * @param authenticated the route checks API keys (has a scope): it reads the key record and records its use.
 */
export function accessStatements(
  access: Access,
  authenticated: boolean,
  t: AccessTargets,
): iam.PolicyStatement[] {
  const statements: iam.PolicyStatement[] = [];
  const usesTable = access.table !== 'none' || authenticated;

  if (access.table !== 'none') {
    statements.push(
      new iam.PolicyStatement({
        sid: access.table === 'write' ? 'TableReadWrite' : 'TableRead',
        actions: access.table === 'write' ? TABLE_WRITE_ACTIONS : TABLE_READ_ACTIONS,
        resources: [t.tableArn],
      }),
      new iam.PolicyStatement({
        sid: 'IndexQuery',
        actions: ['dynamodb:Query'],
        resources: indexArns(t.tableArn),
      }),
    );
  } else if (authenticated) {
    // A route that touches no data still verifies the caller's API key: one GetItem on its record.
    statements.push(
      new iam.PolicyStatement({
        sid: 'ApiKeyRead',
        actions: ['dynamodb:GetItem'],
        resources: [t.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [API_KEY_PARTITIONS] } },
      }),
    );
  }

  if (authenticated && access.table !== 'write') {
    // Recording API-key use (`last_used_at`, about once a minute per key): that attribute of
    // API-key records only, and nothing returned.
    statements.push(
      new iam.PolicyStatement({
        sid: 'ApiKeyTouch',
        actions: ['dynamodb:UpdateItem'],
        resources: [t.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [API_KEY_PARTITIONS] },
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': API_KEY_TOUCH_ATTRIBUTES },
          StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
        },
      }),
    );
  }

  if (authenticated && access.table !== 'write') {
    // A dashboard session stands in for an API key: read it (routes without table access cannot
    // otherwise) and record its use (`last_seen_at`, for idle expiry), nothing else.
    statements.push(
      new iam.PolicyStatement({
        sid: 'SessionRead',
        actions: ['dynamodb:GetItem'],
        resources: [t.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [SESSION_PARTITIONS] } },
      }),
      new iam.PolicyStatement({
        sid: 'SessionTouch',
        actions: ['dynamodb:UpdateItem'],
        resources: [t.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [SESSION_PARTITIONS] },
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': SESSION_TOUCH_ATTRIBUTES },
          StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
        },
      }),
    );
  }

  if (access.audit && access.table !== 'write') {
    // Audit events of a read-only function, in audit partitions only: written in parallel with a
    // secret read, and taken back when the read finds nothing (lib/audit/service.ts).
    statements.push(
      new iam.PolicyStatement({
        sid: 'AuditWrite',
        actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
        resources: [t.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [AUDIT_PARTITIONS] } },
      }),
    );
  }

  if (usesTable) {
    // The table is encrypted with the vault key: DynamoDB decrypts its table key on the caller's behalf.
    statements.push(
      new iam.PolicyStatement({
        sid: 'TableKeyViaDynamoDB',
        actions: ['kms:Decrypt'],
        resources: [t.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': t.dynamoDbService } },
      }),
    );
  }

  for (const op of access.kms) {
    statements.push(
      new iam.PolicyStatement({
        sid: op === 'decrypt' ? 'DataKeyDecrypt' : 'DataKeyGenerate',
        actions: [KMS_ACTIONS[op]],
        resources: [t.keyArn],
        conditions: dekCondition(),
      }),
    );
  }

  if (access.queue) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'WebhookQueueSend',
        actions: ['sqs:SendMessage'],
        resources: [t.queueArn],
      }),
    );
  }

  return statements;
}
