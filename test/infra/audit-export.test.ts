import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { addVaultStack } from '../../infra/stack.js';

// The optional audit export: with `-c auditExport=true` the table streams new images, a Pipe
// passes only new audit items to Firehose, which writes to an encrypted, TLS-only bucket with a
// lifecycle. cdk-nag's checks run on each synth (an unacknowledged finding fails it).

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation template JSON
type Json = Record<string, any>;

function synth(context: Record<string, unknown> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const template = Template.fromStack(addVaultStack(app));
  const resources: Record<string, Json> = template.toJSON().Resources;
  const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);
  return { template, resources, ofType };
}

describe('audit export', () => {
  const on = synth({ auditExport: true });
  const off = synth();

  it('is off by default: no stream, pipe, delivery stream or bucket', () => {
    // Assess: on the templates synthesized above (the Act, shared by these tests).
    expect(off.ofType('AWS::DynamoDB::Table')[0]?.Properties.StreamSpecification).toBeUndefined();
    for (const t of ['AWS::Pipes::Pipe', 'AWS::KinesisFirehose::DeliveryStream', 'AWS::S3::Bucket'])
      expect(off.ofType(t)).toEqual([]);
  });

  it('streams the table into a Pipe that passes only new audit items to Firehose', () => {
    // Assess
    expect(on.ofType('AWS::DynamoDB::Table')[0]?.Properties.StreamSpecification).toEqual({
      StreamViewType: 'NEW_IMAGE',
    });
    const pipes = on.ofType('AWS::Pipes::Pipe');
    expect(pipes).toHaveLength(1);
    const filters = pipes[0]?.Properties.SourceParameters.FilterCriteria.Filters;
    expect(filters.map((f: Json) => JSON.parse(f.Pattern))).toEqual([
      { eventName: ['INSERT'], dynamodb: { NewImage: { type: { S: ['audit'] } } } },
    ]);
    const target = pipes[0]?.Properties.Target['Fn::GetAtt'][0];
    expect(on.resources[target]?.Type).toBe('AWS::KinesisFirehose::DeliveryStream');
    expect(on.ofType('AWS::KinesisFirehose::DeliveryStream')).toHaveLength(1);
  });

  it('writes to a KMS-encrypted, TLS-only, private bucket that expires objects', () => {
    // Assess
    const [bucket] = on.ofType('AWS::S3::Bucket');
    expect(bucket?.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0]).toMatchObject({
      ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' },
    });
    expect(bucket?.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const rule = bucket?.Properties.LifecycleConfiguration.Rules[0];
    expect(rule).toMatchObject({ ExpirationInDays: 2557, Status: 'Enabled' });
    const policy = on.ofType('AWS::S3::BucketPolicy')[0]?.Properties.PolicyDocument.Statement as Json[];
    expect(policy).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Deny',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      ]),
    );
    const stream = on.ofType('AWS::KinesisFirehose::DeliveryStream')[0];
    expect(stream?.Properties.DeliveryStreamEncryptionConfigurationInput).toMatchObject({
      KeyType: 'CUSTOMER_MANAGED_CMK',
    });
  });
});
