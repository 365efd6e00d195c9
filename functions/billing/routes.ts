import * as z from 'zod';
import {
  checkoutBody,
  portalBody,
  sessionUrl,
  stripeEventResult,
  subscriptionView,
  usageView,
} from '../../lib/billing/schemas.js';
import { type Access, defineRoute, type JobDef, type VaultRouteDef } from '../defs.js';

// The billing routes and the usage reporter (BILLING=stripe; with billing off the routes answer
// 404 and the job does nothing). functions/routes.ts folds them into the one route table.

const read: Access = { table: 'read', kms: [] };
/** Calls Stripe's API (outbound HTTPS, the Stripe secrets) and records what it learns. */
/** Calls Stripe; decrypt seals the idempotency records of the admin writes that take one. */
const stripeCall: Access = { table: 'write', kms: ['decrypt'], outbound: true, stripe: true };

export const billingRoutes = {
  billingUsage: defineRoute({
    id: 'BillingUsage',
    method: 'GET',
    path: '/v1/billing/usage',
    entry: 'functions/billing/usage.ts',
    summary: "This month's usage against the plan's limits",
    tag: 'billing',
    scope: 'admin',
    // Seeds the stored-token counter the first time.
    access: { table: 'write', kms: [] },
    responses: { 200: { description: 'Usage and limits', schema: usageView } },
    errors: [401, 403, 404],
  }),
  billingSubscription: defineRoute({
    id: 'BillingSubscription',
    method: 'GET',
    path: '/v1/billing/subscription',
    entry: 'functions/billing/subscription.ts',
    summary: "The tenant's plan, subscription status and current period",
    tag: 'billing',
    scope: 'admin',
    access: read,
    responses: { 200: { description: 'The subscription', schema: subscriptionView } },
    errors: [401, 403, 404],
  }),
  billingCheckout: defineRoute({
    id: 'BillingCheckout',
    method: 'POST',
    path: '/v1/billing/checkout',
    entry: 'functions/billing/checkout.ts',
    summary: 'Start subscribing to a plan: a Stripe Checkout Session URL',
    tag: 'billing',
    scope: 'admin',
    access: stripeCall,
    body: checkoutBody,
    responses: { 200: { description: 'Send the browser to `url`', schema: sessionUrl } },
    errors: [400, 401, 403, 404, 409, 413, 415, 422],
  }),
  billingPortal: defineRoute({
    id: 'BillingPortal',
    method: 'POST',
    path: '/v1/billing/portal',
    entry: 'functions/billing/portal.ts',
    summary: 'Manage the subscription and payment method: a Stripe Customer Portal URL',
    tag: 'billing',
    scope: 'admin',
    access: stripeCall,
    responses: { 200: { description: 'Send the browser to `url`', schema: sessionUrl } },
    query: z.strictObject({ return_url: portalBody.shape.return_url }),
    errors: [401, 403, 404, 422],
  }),
  stripeEvents: defineRoute({
    id: 'StripeEvents',
    method: 'POST',
    path: '/v1/billing/stripe-events',
    entry: 'functions/billing/stripe-events.ts',
    summary: "Stripe's event endpoint (register it in Stripe); verified by its Stripe-Signature",
    tag: 'billing',
    scope: null,
    access: { ...stripeCall, queue: true, stripeWebhookSecret: true },
    secretHeader: {
      name: 'Stripe-Signature',
      description: "Stripe's signature of the raw body, checked with the endpoint's signing secret.",
    },
    responses: { 200: { description: 'Applied (or applied before)', schema: stripeEventResult } },
    errors: [400, 404, 413],
  }),
} satisfies Record<string, VaultRouteDef>;

export const billingJobs: JobDef[] = [
  {
    id: 'BillingReportUsage',
    entry: 'functions/billing/report-usage.ts',
    summary: 'Reports counted API calls to Stripe as Billing Meter events',
    access: { table: 'write', kms: [], outbound: true, stripe: true },
    trigger: 'schedule',
    everySeconds: 300,
    timeoutSeconds: 120,
  },
];
