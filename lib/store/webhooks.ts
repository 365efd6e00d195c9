// Webhook endpoints, their deliveries and the event outbox they fan out from: one import for the
// webhook domain. Each lives in its own module.
export * from './events.js';
export * from './webhook-deliveries.js';
export * from './webhook-endpoints.js';
