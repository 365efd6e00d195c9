import { Duration, type RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

// Audit events beyond AUDIT_RETENTION_DAYS: the table's stream, filtered to new audit items by an
// EventBridge Pipe (no code to run or patch), into Firehose, which writes gzipped batches to an S3
// bucket (encrypted with its own KMS key, TLS only, no public access, expiring by a lifecycle rule).

export interface AuditExportProps {
  /** How long exported events are kept. @default Duration.days(2557) (seven years) */
  readonly retention?: Duration;
  /** Move objects to Glacier Instant Retrieval after this long. @default Duration.days(90) */
  readonly archiveAfter?: Duration;
}

export interface AuditExportOptions extends AuditExportProps {
  /** The vault's table; it must have a stream with new images. */
  readonly table: dynamodb.ITable;
  readonly removalPolicy: RemovalPolicy;
}

export class AuditExport extends Construct {
  readonly key: kms.Key;
  readonly bucket: s3.Bucket;
  readonly deliveryStream: firehose.DeliveryStream;

  constructor(scope: Construct, id: string, props: AuditExportOptions) {
    super(scope, id);
    if (!props.table.tableStreamArn) throw new Error('AuditExport needs the table stream (NEW_IMAGE)');
    const retention = props.retention ?? Duration.days(2557);
    const archiveAfter = props.archiveAfter ?? Duration.days(90);

    // Its own key: the vault key's policy lets only the vault's functions and DynamoDB use it.
    this.key = new kms.Key(this, 'Key', {
      description: 'Token vault: audit export (Firehose and its S3 bucket)',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        {
          transitions: [
            { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: archiveAfter },
          ],
          expiration: retention,
          noncurrentVersionExpiration: Duration.days(30),
        },
      ],
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: false,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'An append-only archive written by Firehose only; CloudTrail data events are the place to log its access, not a second bucket.',
    });

    this.deliveryStream = new firehose.DeliveryStream(this, 'Stream', {
      encryption: firehose.StreamEncryption.customerManagedKey(this.key),
      destination: new firehose.S3Bucket(this.bucket, {
        dataOutputPrefix: 'audit/!{timestamp:yyyy/MM/dd}/',
        errorOutputPrefix: 'errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/',
        compression: firehose.Compression.GZIP,
        bufferingInterval: Duration.minutes(5),
        bufferingSize: Size.mebibytes(5),
        encryptionKey: this.key,
      }),
    });

    const role = new iam.Role(this, 'PipeRole', {
      assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com'),
    });
    props.table.grantStreamRead(role);
    this.deliveryStream.grantPutRecords(role);
    const pipe = new pipes.CfnPipe(this, 'Pipe', {
      roleArn: role.roleArn,
      source: props.table.tableStreamArn,
      sourceParameters: {
        dynamoDbStreamParameters: {
          startingPosition: 'TRIM_HORIZON',
          batchSize: 100,
          maximumRetryAttempts: -1,
        },
        // Only new audit items (lib/store/audit.ts writes `type: audit`); nothing else leaves the table.
        filterCriteria: {
          filters: [
            {
              pattern: JSON.stringify({
                eventName: ['INSERT'],
                dynamodb: { NewImage: { type: { S: ['audit'] } } },
              }),
            },
          ],
        },
      },
      target: this.deliveryStream.deliveryStreamArn,
      // One JSON line per event: the item as DynamoDB wrote it (its attributes typed, e.g. {"S": ...}).
      targetParameters: { inputTemplate: '<$.dynamodb.NewImage>' },
    });
    pipe.node.addDependency(role);

    // CDK's grants: Firehose's to the bucket and its key (s3:GetObject*, s3:List*, kms:GenerateDataKey*,
    // ...), the Pipe's to the table stream (dynamodb:ListStreams has no resource-level permission).
    const grants = [
      'Action::kms:ReEncrypt*',
      'Action::kms:GenerateDataKey*',
      'Action::s3:GetObject*',
      'Action::s3:GetBucket*',
      'Action::s3:List*',
      'Action::s3:DeleteObject*',
      'Action::s3:Abort*',
      `Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*`,
      'Resource::*',
    ];
    for (const finding of grants) {
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason:
          "CDK's own grants to Firehose (this bucket and its key only) and to the Pipe (this table's stream; ListStreams takes no resource).",
      });
    }
    Validations.of(Stack.of(this)).acknowledge({
      id: 'CloudFormation-Validate::W7001',
      reason:
        "aws-kinesisfirehose adds a mapping of Firehose's CIDR blocks that an S3 destination does not use.",
    });
  }
}
