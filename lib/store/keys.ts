// Every key string of the single table is built here, and the table's shape (indexes, TTL) is
// declared here too, so the local server and the CDK stack create the same table.

export const INDEXES = {
  /** A tenant's API keys (GSI1PK `TENANT#<id>#APIKEYS`) and tokens by provider/key (`TENANT#<id>#TOKENS`). */
  byOwner: 'GSI1',
  /** Sparse: only refreshable tokens carry GSI2 keys; the scheduled job queries by due time. */
  refreshDue: 'GSI2',
  /** Sparse: events not yet fanned out to webhooks, and deliveries due for an attempt. */
  pending: 'GSI3',
  /** Sparse: an object's owner by its id alone (tokens), for auditing a 404 on another tenant's id. */
  byId: 'GSI4',
} as const;

export const TTL_ATTRIBUTE = 'ttl';

/** Number of partitions the refresh schedule is spread over, to keep hot keys cold. */
export const REFRESH_SHARDS = 4;

export const tableDefinition = {
  partitionKey: 'PK',
  sortKey: 'SK',
  indexes: [
    { name: INDEXES.byOwner, partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
    { name: INDEXES.refreshDue, partitionKey: 'GSI2PK', sortKey: 'GSI2SK' },
    { name: INDEXES.pending, partitionKey: 'GSI3PK', sortKey: 'GSI3SK' },
    { name: INDEXES.byId, partitionKey: 'GSI4PK', sortKey: 'GSI4SK' },
  ],
  ttlAttribute: TTL_ATTRIBUTE,
} as const;

/** Encodes a user-supplied value so it cannot contain the `#` separator. */
const part = (s: string) => encodeURIComponent(s);

export const keys = {
  tenant: (tenantId: string) => ({ PK: `TENANT#${tenantId}`, SK: 'TENANT' }),
  emailClaim: (email: string) => ({ PK: `EMAIL#${email.toLowerCase()}`, SK: 'EMAIL' }),

  apiKey: (keyId: string) => ({ PK: `APIKEY#${keyId}`, SK: 'APIKEY' }),
  apiKeyOwner: (tenantId: string, createdAt: string, keyId: string) => ({
    GSI1PK: `TENANT#${tenantId}#APIKEYS`,
    GSI1SK: `${createdAt}#${keyId}`,
  }),
  apiKeysOf: (tenantId: string) => ({ GSI1PK: `TENANT#${tenantId}#APIKEYS` }),

  /** Agent keys: like API keys, found by id alone at authentication, listed per tenant on GSI1. */
  agentKey: (keyId: string) => ({ PK: `AGENTKEY#${keyId}`, SK: 'AGENTKEY' }),
  agentKeyOwner: (tenantId: string, createdAt: string, keyId: string) => ({
    GSI1PK: `TENANT#${tenantId}#AGENTKEYS`,
    GSI1SK: `${createdAt}#${keyId}`,
  }),
  agentKeysOf: (tenantId: string) => ({ GSI1PK: `TENANT#${tenantId}#AGENTKEYS` }),

  token: (tenantId: string, tokenId: string) => ({ PK: `TENANT#${tenantId}`, SK: `TOKEN#${tokenId}` }),
  tokensOf: (tenantId: string) => ({ PK: `TENANT#${tenantId}`, SKPrefix: 'TOKEN#' }),
  tokenClaim: (tenantId: string, provider: string, key: string) => ({
    PK: `TENANT#${tenantId}`,
    SK: `TOKENKEY#${part(provider)}#${part(key)}`,
  }),
  tokenOwner: (tenantId: string, provider: string, key: string) => ({
    GSI1PK: `TENANT#${tenantId}#TOKENS`,
    GSI1SK: `${part(provider)}#${part(key)}`,
  }),
  tokensByProvider: (tenantId: string, provider: string, key?: string) => ({
    GSI1PK: `TENANT#${tenantId}#TOKENS`,
    GSI1SK: key === undefined ? `${part(provider)}#` : `${part(provider)}#${part(key)}`,
    exact: key !== undefined,
  }),
  /** Sparse refresh schedule entry. The shard comes from the token id so one token always lands in one shard. */
  refreshDue: (tenantId: string, tokenId: string, dueAt: Date) => ({
    GSI2PK: `REFRESH#${shardOf(tokenId)}`,
    GSI2SK: `${dueAt.toISOString()}#${tenantId}#${tokenId}`,
  }),
  refreshShard: (shard: number) => ({ GSI2PK: `REFRESH#${shard}` }),

  oauthApp: (tenantId: string, provider: string) => ({
    PK: `TENANT#${tenantId}`,
    SK: `OAUTHAPP#${part(provider)}`,
  }),
  oauthAppsOf: (tenantId: string) => ({ PK: `TENANT#${tenantId}`, SKPrefix: 'OAUTHAPP#' }),
  /** Keyed by a hash of the state, so the table never holds a usable state value. */
  connectSession: (stateHash: string) => ({ PK: `CONNECT#${stateHash}`, SK: 'CONNECT' }),
  /** A connection awaiting the app's confirmation, keyed by a hash of its one-time connect code. */
  pendingConnection: (tenantId: string, codeHash: string) => ({
    PK: `TENANT#${tenantId}`,
    SK: `CONNECTION#${codeHash}`,
  }),
  /** Refresh lease: at most one refresh of a token in flight, across every process. */
  refreshLease: (tenantId: string, tokenId: string) => ({ PK: `TENANT#${tenantId}`, SK: `LEASE#${tokenId}` }),

  event: (tenantId: string, eventId: string) => ({ PK: `TENANT#${tenantId}`, SK: `EVENT#${eventId}` }),
  /** Sparse: present until the event has been fanned out to the tenant's webhooks. */
  eventPending: (eventId: string, at: string) => ({
    GSI3PK: `EVENTS#${shardOf(eventId)}`,
    GSI3SK: `${at}#${eventId}`,
  }),
  eventsPending: (shard: number) => ({ GSI3PK: `EVENTS#${shard}` }),

  webhook: (tenantId: string, webhookId: string) => ({
    PK: `TENANT#${tenantId}`,
    SK: `WEBHOOK#${webhookId}`,
  }),
  webhooksOf: (tenantId: string) => ({ PK: `TENANT#${tenantId}`, SKPrefix: 'WEBHOOK#' }),
  /** A tenant's count of something capped (`webhooks`), kept in the same transaction as each create and delete. */
  counter: (tenantId: string, name: string) => ({ PK: `TENANT#${tenantId}`, SK: `COUNT#${name}` }),
  /** A delivery (or notice) in an endpoint's log; delivery ids are time-ordered, so the log sorts by time. */
  delivery: (tenantId: string, webhookId: string, deliveryId: string) => ({
    PK: `TENANT#${tenantId}`,
    SK: `DELIVERY#${webhookId}#${deliveryId}`,
  }),
  deliveriesOf: (tenantId: string, webhookId: string) => ({
    PK: `TENANT#${tenantId}`,
    SKPrefix: `DELIVERY#${webhookId}#`,
  }),
  /** Sparse: present while a delivery awaits an attempt; `at` is when a sweeper should look at it. */
  deliveryDue: (tenantId: string, webhookId: string, deliveryId: string, at: string) => ({
    GSI3PK: `DELIVERIES#${shardOf(deliveryId)}`,
    GSI3SK: `${at}#${tenantId}#${webhookId}#${deliveryId}`,
  }),
  deliveriesDue: (shard: number) => ({ GSI3PK: `DELIVERIES#${shard}` }),
  /** An Idempotency-Key claim and, once complete, the first response (sealed); keyed by a hash of the key. */
  idempotency: (tenantId: string, keyHash: string) => ({
    PK: `TENANT#${tenantId}`,
    SK: `IDEMPOTENCY#${keyHash}`,
  }),

  /** A dashboard session, keyed by a hash of its id: the table never holds a usable cookie value. */
  dashboardSession: (idHash: string) => ({ PK: `SESSION#${idHash}`, SK: 'SESSION' }),

  /** Billing (BILLING=stripe): the tenant's plan, Stripe customer and subscription state. */
  billingAccount: (tenantId: string) => ({ PK: `TENANT#${tenantId}`, SK: 'BILLING' }),
  /** Stripe customer id → tenant, for Stripe events that name only the customer. */
  stripeCustomer: (customerId: string) => ({ PK: `STRIPECUSTOMER#${customerId}`, SK: 'STRIPECUSTOMER' }),
  /** A processed Stripe event (TTL): each event id is applied once. */
  stripeEvent: (eventId: string) => ({ PK: `STRIPEEVENT#${eventId}`, SK: 'STRIPEEVENT' }),
  /** API calls counted in a month (`YYYY-MM`), and what has been reported to Stripe. */
  usage: (tenantId: string, month: string) => ({ PK: `TENANT#${tenantId}`, SK: `USAGE#${month}` }),
  /** Sparse: present while a usage item has calls not yet reported to Stripe. */
  usageUnreported: (tenantId: string, month: string) => ({
    GSI3PK: `USAGE#${shardOf(tenantId)}`,
    GSI3SK: `${month}#${tenantId}`,
  }),
  usageUnreportedShard: (shard: number) => ({ GSI3PK: `USAGE#${shard}` }),
  /**
   * Audit events: one partition per tenant per month (`YYYY-MM`), sorted by time. A month bounds a
   * busy tenant's partition and keeps listing a year (the default retention) to 13 queries.
   */
  auditMonth: (tenantId: string, month: string) => ({ PK: `TENANT#${tenantId}#AUDIT#${month}` }),
  auditEvent: (tenantId: string, time: string, eventId: string) => ({
    PK: `TENANT#${tenantId}#AUDIT#${time.slice(0, 7)}`,
    SK: `${time}#${eventId}`,
  }),
  /** The tenant's audit HMAC key, wrapped (lib/audit/hmac.ts); not a data-key version, never retired. */
  auditHmacKey: (tenantId: string) => ({ PK: `TENANT#${tenantId}`, SK: 'AUDITKEY' }),
  /** Owner of an object by its id alone (GSI4, sparse): written with the object. */
  ownerById: (type: string, id: string, tenantId: string) => ({
    GSI4PK: `ID#${type}#${id}`,
    GSI4SK: `TENANT#${tenantId}`,
  }),
  byId: (type: string, id: string) => ({ GSI4PK: `ID#${type}#${id}` }),
  /** The tenant's stored-token count, kept in the same transaction as each insert and delete. */
  tokenCounter: (tenantId: string) => ({ PK: `TENANT#${tenantId}`, SK: 'COUNT#tokens' }),
  /** A tenant's data-key version: when it was made, and when retired (the wrapped key is on the tenant). */
  dataKeyVersion: (tenantId: string, version: number) => ({
    PK: `TENANT#${tenantId}`,
    SK: `DEK#${String(version).padStart(3, '0')}`,
  }),
  dataKeyVersionsOf: (tenantId: string) => ({ PK: `TENANT#${tenantId}`, SKPrefix: 'DEK#' }),
  /** The tenant's re-encryption job: its progress cursor and counts, while an old version remains. */
  reencryption: (tenantId: string) => ({ PK: `TENANT#${tenantId}`, SK: 'REENCRYPTION' }),
  /** Sparse: present while the tenant has a version to move off; `at` is when the job should look. */
  reencryptionDue: (tenantId: string, at: string) => ({
    GSI3PK: `REENCRYPT#${shardOf(tenantId)}`,
    GSI3SK: `${at}#${tenantId}`,
  }),
  reencryptionDueShard: (shard: number) => ({ GSI3PK: `REENCRYPT#${shard}` }),
} as const;

export function shardOf(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return h % REFRESH_SHARDS;
}
