import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it, vi } from 'vitest';
import type { JobDef } from '../../functions/defs.js';

// The construct's job wiring (schedule rule, queue consumer), checked with stand-in jobs so that it is
// tested before the route table has real ones. The stand-ins reuse an existing handler file: bundling
// is skipped, but the entry must exist.

const refresh: JobDef = {
  id: 'TestRefresh',
  entry: 'functions/health.ts',
  summary: 'Stand-in scheduled job',
  access: { table: 'write', kms: ['decrypt'], outbound: true, queue: true },
  trigger: 'schedule',
  timeoutSeconds: 120,
};
const sweep: JobDef = {
  id: 'TestSweep',
  entry: 'functions/health.ts',
  summary: 'Stand-in scheduled job with its own period',
  access: { table: 'write', kms: [], queue: true },
  trigger: 'schedule',
  everySeconds: 60,
  timeoutSeconds: 60,
};
const deliver: JobDef = {
  id: 'TestDeliver',
  entry: 'functions/health.ts',
  summary: 'Stand-in queue job',
  access: { table: 'write', kms: ['decrypt'], outbound: true },
  trigger: 'queue',
  timeoutSeconds: 30,
};

vi.mock('../../functions/routes.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../functions/routes.js')>();
  // Functions that routes invoke (GetToken → RefreshOnDemand) stay: the stack wires them by id.
  const invoked = actual.jobs.filter((j) => j.trigger === 'invoke');
  return { ...actual, jobs: [refresh, sweep, deliver, ...invoked] };
});

const { addVaultStack } = await import('../../infra/stack.js');

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation template JSON
type Json = Record<string, any>;

function synth(context: Record<string, unknown> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const template = Template.fromStack(addVaultStack(app));
  const resources: Record<string, Json> = template.toJSON().Resources;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const fnId = (id: string) =>
    ofType('AWS::Lambda::Function').find(
      ([, r]) => r.Properties.FunctionName === `token-vault-dev-${id}`,
    )?.[0];
  return { template, resources, ofType, fnId };
}

describe('jobs', () => {
  const s = synth();
  const refreshId = s.fnId(refresh.id) as string;
  const deliverId = s.fnId(deliver.id) as string;
  const [queueId] = s.ofType('AWS::SQS::Queue').find(([, q]) => q.Properties.RedrivePolicy) as [string, Json];

  it('makes a function per job with the job’s timeout', () => {
    // Assess: on the template synthesized above (the Act, shared by these tests).
    expect(s.resources[refreshId]?.Properties.Timeout).toBe(120);
    expect(s.resources[deliverId]?.Properties.Timeout).toBe(30);
  });

  it('runs each schedule job on its own rule and period, without retries that would pile up', () => {
    // Assess
    const sweepId = s.fnId(sweep.id) as string;
    expect(s.ofType('AWS::Events::Rule')).toHaveLength(2);
    s.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [refreshId, 'Arn'] } })],
    });
    s.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [sweepId, 'Arn'] } })],
    });
    for (const id of [refreshId, sweepId]) {
      s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: id },
        MaximumRetryAttempts: 0,
      });
    }

    // Act: another refresh interval.
    const interval = synth({ refreshIntervalSeconds: '600' });

    // Assess
    interval.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(10 minutes)' });
    interval.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
  });

  it('feeds the webhook queue to the queue job in batches of 10 with partial failures', () => {
    // Assess
    const mappings = s.ofType('AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.[1].Properties).toMatchObject({
      FunctionName: { Ref: deliverId },
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    // Six times the consumer's timeout, so a batch in flight is not delivered twice.
    expect(s.resources[queueId]?.Properties.VisibilityTimeout).toBe(180);
  });

  it('gives the queue URL to the functions that send to or consume the queue, SendMessage only to senders', () => {
    // Assess
    const env = (id: string) => s.resources[id]?.Properties.Environment.Variables;
    expect(env(refreshId).WEBHOOK_QUEUE_URL).toEqual({ Ref: queueId });
    expect(env(deliverId).WEBHOOK_QUEUE_URL).toEqual({ Ref: queueId });
    expect(env(s.fnId('Health') as string).WEBHOOK_QUEUE_URL).toBeUndefined();

    const actions = (fnId: string) => {
      const roleId = s.resources[fnId]?.Properties.Role['Fn::GetAtt'][0];
      return s
        .ofType('AWS::IAM::Policy')
        .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === roleId))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement.flatMap((st: Json) => [st.Action].flat()));
    };
    expect(actions(refreshId)).toContain('sqs:SendMessage');
    expect(actions(deliverId)).not.toContain('sqs:SendMessage');
    expect(actions(deliverId)).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']));
  });

  it('passes cdk-nag with the jobs', () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    addVaultStack(app);

    // Act
    const synthesizing = () => app.synth();

    // Assess
    expect(synthesizing).not.toThrow();
  });
});
