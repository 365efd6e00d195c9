import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { Access } from '../../functions/defs.js';
import { dekCondition, KMS_ACTIONS } from '../access.js';
import type { Settings } from '../props.js';

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

/**
 * The vault's KMS key: wraps tenants' data keys and encrypts the table. Either the given one or a
 * new key whose policy names only the account (to administer it), DynamoDB (for the table) and,
 * through grantDataKeys, the vault's functions.
 */
export class VaultKey {
  readonly key: kms.IKey;
  /** The key the vault created (its policy is the vault's to write); undefined for a given key. */
  private readonly ownKey?: kms.Key;

  constructor(scope: Construct, settings: Settings, existing?: kms.IKey) {
    const { stage, namePrefix, removalPolicy } = settings;
    const stack = Stack.of(scope);
    this.ownKey = existing
      ? undefined
      : new kms.Key(scope, 'Key', {
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
    this.key = existing ?? (this.ownKey as kms.Key);
  }

  /**
   * Only the vault's functions use the key for data keys, and only for data keys. An existing
   * key's policy cannot be changed from here: the IAM statements on the roles grant it then.
   */
  grantDataKeys(users: { access: Access; role: iam.IRole }[]): void {
    if (!this.ownKey) return;
    for (const op of ['decrypt', 'generate'] as const) {
      const principals = users.filter((u) => u.access.kms.includes(op)).map((u) => u.role);
      if (principals.length === 0) continue;
      this.ownKey.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: op === 'decrypt' ? 'DataKeyDecryptByVaultFunctions' : 'DataKeyGenerateByVaultFunctions',
          principals,
          actions: [KMS_ACTIONS[op]],
          resources: ['*'],
          conditions: dekCondition(),
        }),
      );
    }
  }
}
