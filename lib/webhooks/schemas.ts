import * as z from 'zod';
import { isoTime, listOf, pageQuery } from '../schemas.js';
import { EVENT_TYPES } from '../store/event-types.js';

// Request and response shapes of the webhook routes.

/** Types an endpoint can subscribe to; `ping` is sent only by POST /v1/webhooks/{id}/test. */
export const SUBSCRIBABLE = EVENT_TYPES.filter((t) => t !== 'ping') as Exclude<
  (typeof EVENT_TYPES)[number],
  'ping'
>[];
const eventType = z.enum(SUBSCRIBABLE as [string, ...string[]]);

const url = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .describe('Where deliveries are POSTed. https (http://localhost only under `npm start`).');
const events = z
  .array(eventType)
  .min(1)
  .max(SUBSCRIBABLE.length)
  .refine((a) => new Set(a).size === a.length, 'Each event type once.')
  .describe('Event types to deliver.');
const description = z.string().trim().max(500);

export const createWebhookBody = z
  .strictObject({ url, events, description: description.optional() })
  .meta({ id: 'CreateWebhookRequest' });

export const updateWebhookBody = z
  .strictObject({
    url: url.optional(),
    events: events.optional(),
    description: description.nullable().optional().describe('null removes it.'),
    status: z
      .enum(['active', 'disabled'])
      .optional()
      .describe('`active` re-enables a disabled endpoint (and clears its failure count).'),
  })
  .refine((v) => Object.keys(v).length > 0, { message: 'Give at least one field to change.' })
  .meta({ id: 'UpdateWebhookRequest' });

export const webhookStatus = z.enum(['active', 'disabled']);
export const disabledReason = z.enum(['gone', 'failing', 'manual']);

export const webhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    status: webhookStatus,
    disabled_reason: disabledReason
      .nullable()
      .describe('`gone`: the endpoint answered 410; `failing`: it failed for days; `manual`: PATCHed.'),
    disabled_at: isoTime.nullable(),
    previous_secret_expires_at: isoTime
      .nullable()
      .describe('After a rotation, the old secret also signs until then.'),
    created_at: isoTime,
    updated_at: isoTime,
  })
  .meta({ id: 'Webhook' });

export const webhookWithSecretSchema = webhookSchema
  .extend({
    secret: z.string().describe('The signing secret (`whsec_...`). Shown once: store it now.'),
  })
  .meta({ id: 'WebhookWithSecret' });

export const webhookList = listOf(webhookSchema).meta({ id: 'WebhookList' });

export const deliveryParams = z.strictObject({
  id: z.string().min(1).max(64),
  delivery_id: z.string().min(1).max(64),
});

export const deliveryStatus = z.enum(['pending', 'succeeded', 'failed', 'notice']);

export const listDeliveriesQuery = z.strictObject({
  status: deliveryStatus.optional().describe('Only entries with this status.'),
  ...pageQuery,
});

export const attemptSchema = z
  .object({
    attempt: z.number().int(),
    at: isoTime,
    status_code: z.number().int().nullable().describe('null: no HTTP response (network error, timeout).'),
    duration_ms: z.number().int(),
    error: z.string().nullable(),
  })
  .meta({ id: 'DeliveryAttempt' });

export const deliverySchema = z
  .object({
    id: z.string(),
    webhook_id: z.string(),
    event_id: z.string().describe('Also the `webhook-id` header: the same on every attempt.'),
    event_type: z.string(),
    status: deliveryStatus.describe('`notice`: a log entry, not a delivery (e.g. `webhook.disabled`).'),
    attempts: z.number().int(),
    attempt_log: z.array(attemptSchema),
    next_attempt_at: isoTime.nullable(),
    outcome: z
      .string()
      .nullable()
      .describe(
        'Final outcome: delivered, exhausted, gone, endpoint_disabled, endpoint_deleted; null while pending.',
      ),
    payload: z.record(z.string(), z.unknown()).describe('The body that is (or was) POSTed.'),
    created_at: isoTime,
    updated_at: isoTime,
  })
  .meta({ id: 'WebhookDelivery' });

export const deliveryList = listOf(deliverySchema).meta({ id: 'WebhookDeliveryList' });

export const testResponse = z
  .object({ event_id: z.string(), delivery_id: z.string() })
  .meta({ id: 'WebhookTestResult' });

export type CreateWebhookInput = z.output<typeof createWebhookBody>;
export type UpdateWebhookInput = z.output<typeof updateWebhookBody>;
export type WebhookView = z.output<typeof webhookSchema>;
export type DeliveryView = z.output<typeof deliverySchema>;
