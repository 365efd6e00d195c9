import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { tableDefinition } from '../../lib/store/keys.js';
import type { Settings } from '../props.js';

/**
 * The single DynamoDB table, its shape from lib/store/keys.ts. Its logical id (`...Table...`)
 * must never change: a new one would replace the table, and the data with it.
 */
export function vaultTable(
  scope: Construct,
  settings: Settings,
  key: kms.IKey,
  /** A stream of new images, for the audit export. */
  stream = false,
): dynamodb.Table {
  const { removalPolicy } = settings;
  const str = (name: string) => ({ name, type: dynamodb.AttributeType.STRING });
  const table = new dynamodb.Table(scope, 'Table', {
    partitionKey: str(tableDefinition.partitionKey),
    sortKey: str(tableDefinition.sortKey),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: key,
    timeToLiveAttribute: tableDefinition.ttlAttribute,
    ...(stream ? { stream: dynamodb.StreamViewType.NEW_IMAGE } : {}),
    deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
    removalPolicy,
  });
  for (const index of tableDefinition.indexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.name,
      partitionKey: str(index.partitionKey),
      sortKey: str(index.sortKey),
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
  return table;
}
