import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { addVaultStack } from '../../infra/stack.js';
import { USAGE_FLUSH_ATTRIBUTES } from '../../infra/token-vault.js';

// The template with billing on (context naming the two Stripe secrets) and off. cdk-nag's checks
// run on each synth. The secrets' values never reach the template: functions get their names.

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation template JSON
type Json = Record<string, any>;

function synth(context: Record<string, unknown> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const template = Template.fromStack(addVaultStack(app));
  const resources: Record<string, Json> = template.toJSON().Resources;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const fn = (id: string) => {
    const found = ofType('AWS::Lambda::Function').find(
      ([, r]) => r.Properties.FunctionName === `token-vault-dev-${id}`,
    );
    if (!found) throw new Error(`no function ${id}`);
    return found;
  };
  const env = (id: string): Record<string, unknown> => fn(id)[1].Properties.Environment.Variables;
  const statements = (id: string): Json[] => {
    const roleId = fn(id)[1].Properties.Role['Fn::GetAtt'][0];
    return ofType('AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
  };
  const readsSecret = (id: string, name: string) =>
    statements(id).some(
      (s) =>
        [s.Action].flat().includes('secretsmanager:GetSecretValue') &&
        JSON.stringify(s.Resource).includes(name),
    );
  return { template, resources, ofType, env, statements, readsSecret };
}

const on = synth({
  stripeSecretKeySecret: 'vault/stripe-secret-key',
  stripeWebhookSecret: 'vault/stripe-webhook-secret',
  billingGraceDays: 3,
  billingPlans: JSON.stringify([
    {
      id: 'free',
      name: 'Free',
      limits: { tokens: 10, api_calls_per_month: 100, webhooks: 1, rate_limit_per_second: 1 },
    },
  ]),
});
const off = synth();

describe('billing on', () => {
  it('configures every function for billing, with no secret value anywhere in the template', () => {
    // Assess: on the template synthesized above (the Act, shared by these tests).
    for (const id of ['GetToken', 'CreateToken', 'BillingCheckout', 'StripeEvents', 'BillingReportUsage']) {
      expect(on.env(id)).toMatchObject({ BILLING: 'stripe', BILLING_GRACE_DAYS: '3' });
      expect(JSON.parse(on.env(id).BILLING_PLANS as string)[0].id).toBe('free');
      expect(on.env(id)).not.toHaveProperty('STRIPE_SECRET_KEY');
      expect(on.env(id)).not.toHaveProperty('STRIPE_WEBHOOK_SECRET');
    }
    const text = JSON.stringify(on.template.toJSON());
    expect(text).not.toMatch(/sk_(live|test)_|whsec_/);
  });

  it('lets only the functions that call Stripe read its key, and only the events route the signing secret', () => {
    // Assess
    for (const id of ['BillingCheckout', 'BillingPortal', 'StripeEvents', 'BillingReportUsage']) {
      expect(on.env(id).STRIPE_SECRET_KEY_ARN, id).toBeDefined();
      expect(on.readsSecret(id, 'vault/stripe-secret-key'), id).toBe(true);
    }
    expect(on.env('StripeEvents').STRIPE_WEBHOOK_SECRET_ARN).toBeDefined();
    expect(on.readsSecret('StripeEvents', 'vault/stripe-webhook-secret')).toBe(true);
    for (const id of ['GetToken', 'CreateToken', 'BillingUsage', 'BillingSubscription', 'Register']) {
      expect(on.env(id), id).not.toHaveProperty('STRIPE_SECRET_KEY_ARN');
      expect(on.readsSecret(id, 'vault/stripe'), id).toBe(false);
    }
    expect(on.readsSecret('BillingCheckout', 'vault/stripe-webhook-secret')).toBe(false);
  });

  it('lets read-only authenticated functions count calls: UpdateItem on tenant items, usage attributes only', () => {
    // Act
    const count = on.statements('ListTokens').find((s) => s.Sid === 'BillingUsageCount');

    // Assess
    expect(count).toMatchObject({
      Action: 'dynamodb:UpdateItem',
      Condition: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['TENANT#*'] },
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': USAGE_FLUSH_ATTRIBUTES },
      },
    });
    // Writers already may; public routes count nothing.
    expect(on.statements('CreateToken').some((s) => s.Sid === 'BillingUsageCount')).toBe(false);
    expect(on.statements('Health').some((s) => s.Sid === 'BillingUsageCount')).toBe(false);
  });

  it('schedules the usage reporter every 5 minutes', () => {
    // Act
    const rules = on.ofType('AWS::Events::Rule').filter(([id]) => id.includes('BillingReportUsage'));

    // Assess
    expect(rules).toHaveLength(1);
    expect(rules[0]?.[1].Properties.ScheduleExpression).toBe('rate(5 minutes)');
  });

  it('refuses one Stripe secret without the other', () => {
    // Act
    const synthesizing = () => synth({ stripeSecretKeySecret: 'x' });

    // Assess
    expect(synthesizing).toThrow(/give both/);
  });
});

describe('billing off', () => {
  it('deploys no billing configuration and no access to Stripe secrets', () => {
    // Assess
    for (const [, f] of off.ofType('AWS::Lambda::Function')) {
      const vars = f.Properties.Environment.Variables;
      expect(vars.BILLING).toBeUndefined();
      expect(vars.STRIPE_SECRET_KEY_ARN).toBeUndefined();
    }
    expect(JSON.stringify(off.template.toJSON())).not.toContain('stripe-secret');
    expect(off.statements('ListTokens').some((s) => s.Sid === 'BillingUsageCount')).toBe(false);
  });
});
