// The outbox entity's record and types, free of imports: the dashboard bundles them for the browser.

/** Events the vault records; webhooks subscribe to them by type. */
export const EVENT_TYPES = [
  'token.created',
  'token.updated',
  'token.deleted',
  'token.refreshed',
  'token.refresh_failed',
  'token.needs_reauth',
  'connection.created',
  'billing.subscription_updated',
  'billing.payment_failed',
  'billing.payment_succeeded',
  'ping',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An event as recorded and as delivered (`{type, timestamp, data}` is the webhook payload). */
export interface VaultEventRecord {
  id: string;
  tenant_id: string;
  type: EventType;
  timestamp: string;
  /** Metadata only: never a secret. */
  data: Record<string, unknown>;
}
