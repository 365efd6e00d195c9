import * as z from 'zod';
import { idParams, pageQuery } from '../../lib/schemas.js';
import {
  createWebhookBody,
  deliveryList,
  deliveryParams,
  deliverySchema,
  listDeliveriesQuery,
  testResponse,
  updateWebhookBody,
  webhookList,
  webhookSchema,
  webhookWithSecretSchema,
} from '../../lib/webhooks/schemas.js';
import { type Access, defineRoute, type JobDef, type VaultRouteDef } from '../defs.js';

// The webhook routes and jobs; functions/routes.ts folds them into the one route table.

const read: Access = { table: 'read', kms: [] };
// Writes take an Idempotency-Key, whose record is sealed: decrypt unwraps the data key for it.
const write: Access = { table: 'write', kms: ['decrypt'] };
/** Seals or opens a webhook secret with the tenant's data key. */
const writeSealed: Access = { table: 'write', kms: ['decrypt'] };
/** Creates deliveries and hands them to the webhook queue. */
const writeQueue: Access = { table: 'write', kms: ['decrypt'], queue: true };

export const webhookRoutes = {
  createWebhook: defineRoute({
    id: 'CreateWebhook',
    method: 'POST',
    path: '/v1/webhooks',
    entry: 'functions/webhooks/create.ts',
    summary: 'Register a webhook endpoint',
    tag: 'webhooks',
    scope: 'admin',
    audit: { action: 'webhook.create', target: 'webhook' },
    access: writeSealed,
    body: createWebhookBody,
    responses: {
      201: { description: 'Registered; the secret is shown once', schema: webhookWithSecretSchema },
    },
    errors: [409],
  }),
  listWebhooks: defineRoute({
    id: 'ListWebhooks',
    method: 'GET',
    path: '/v1/webhooks',
    entry: 'functions/webhooks/list.ts',
    summary: "List the tenant's webhook endpoints",
    tag: 'webhooks',
    scope: 'admin',
    access: read,
    query: z.strictObject(pageQuery),
    responses: { 200: { description: 'A page of endpoints', schema: webhookList } },
  }),
  getWebhook: defineRoute({
    id: 'GetWebhook',
    method: 'GET',
    path: '/v1/webhooks/{id}',
    entry: 'functions/webhooks/get.ts',
    summary: 'Get a webhook endpoint',
    tag: 'webhooks',
    scope: 'admin',
    access: read,
    params: idParams,
    responses: { 200: { description: 'The endpoint (never its secret)', schema: webhookSchema } },
  }),
  updateWebhook: defineRoute({
    id: 'UpdateWebhook',
    method: 'PATCH',
    path: '/v1/webhooks/{id}',
    entry: 'functions/webhooks/update.ts',
    summary: 'Change, disable or re-enable a webhook endpoint',
    tag: 'webhooks',
    scope: 'admin',
    audit: { action: 'webhook.update', target: 'webhook' },
    access: write,
    params: idParams,
    body: updateWebhookBody,
    responses: { 200: { description: 'Updated', schema: webhookSchema } },
    errors: [409],
  }),
  deleteWebhook: defineRoute({
    id: 'DeleteWebhook',
    method: 'DELETE',
    path: '/v1/webhooks/{id}',
    entry: 'functions/webhooks/delete.ts',
    summary: 'Delete a webhook endpoint',
    tag: 'webhooks',
    scope: 'admin',
    audit: { action: 'webhook.delete', target: 'webhook' },
    access: write,
    params: idParams,
    responses: { 204: { description: 'Deleted; its pending deliveries end unsent' } },
  }),
  rotateWebhookSecret: defineRoute({
    id: 'RotateWebhookSecret',
    method: 'POST',
    path: '/v1/webhooks/{id}/rotate-secret',
    entry: 'functions/webhooks/rotate-secret.ts',
    summary: "Rotate a webhook's signing secret (the old one keeps signing during a grace period)",
    tag: 'webhooks',
    scope: 'admin',
    audit: { action: 'webhook.rotate_secret', target: 'webhook' },
    access: writeSealed,
    params: idParams,
    responses: { 200: { description: 'The new secret, shown once', schema: webhookWithSecretSchema } },
    errors: [409],
  }),
  testWebhook: defineRoute({
    id: 'TestWebhook',
    method: 'POST',
    path: '/v1/webhooks/{id}/test',
    entry: 'functions/webhooks/test.ts',
    summary: 'Send a ping event to this endpoint',
    tag: 'webhooks',
    scope: 'admin',
    audit: { action: 'webhook.test', target: 'webhook' },
    access: writeQueue,
    params: idParams,
    responses: { 202: { description: 'Queued; follow it in the delivery log', schema: testResponse } },
    errors: [409],
  }),
  listWebhookDeliveries: defineRoute({
    id: 'ListWebhookDeliveries',
    method: 'GET',
    path: '/v1/webhooks/{id}/deliveries',
    entry: 'functions/webhooks/deliveries.ts',
    summary: "An endpoint's delivery log, newest first",
    tag: 'webhooks',
    scope: 'admin',
    access: read,
    params: idParams,
    query: listDeliveriesQuery,
    responses: { 200: { description: 'A page of deliveries', schema: deliveryList } },
  }),
  retryWebhookDelivery: defineRoute({
    id: 'RetryWebhookDelivery',
    method: 'POST',
    path: '/v1/webhooks/{id}/deliveries/{delivery_id}/retry',
    entry: 'functions/webhooks/retry.ts',
    summary: 'Attempt a finished delivery once more, now',
    tag: 'webhooks',
    scope: 'admin',
    audit: { action: 'webhook.retry_delivery', target: 'webhook' },
    access: writeQueue,
    params: deliveryParams,
    responses: { 202: { description: 'Queued', schema: deliverySchema } },
    errors: [409],
  }),
} satisfies Record<string, VaultRouteDef>;

export const webhookJobs: JobDef[] = [
  {
    id: 'WebhookDelivery',
    entry: 'functions/webhooks/deliver.ts',
    summary: 'Performs webhook delivery attempts from the queue',
    // Opens secrets, POSTs to endpoints, re-queues near retries with a delay.
    access: { table: 'write', kms: ['decrypt'], outbound: true, queue: true },
    trigger: 'queue',
    // A batch's attempts run concurrently, each at most 10 s.
    timeoutSeconds: 60,
  },
  {
    id: 'WebhookSweep',
    entry: 'functions/webhooks/sweep.ts',
    summary: 'Fans out stale events and (re)queues due webhook deliveries',
    // Deployed it only reads and writes the table and sends to the queue. (Under `npm start`,
    // with no queue, it performs the due attempts itself, every WEBHOOK_SWEEP_SECONDS.)
    access: { table: 'write', kms: [], queue: true },
    trigger: 'schedule',
    everySeconds: 60,
    localEverySecondsFrom: 'WEBHOOK_SWEEP_SECONDS',
    timeoutSeconds: 60,
  },
];
