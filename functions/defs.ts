import type { RouteDef } from '../lib/http/types.js';

// What the vault deploys per function, beside the HTTP shape of a route (lib/http/types.ts): the
// CDK stack derives each function's IAM, secrets and triggers from these, the local server its
// timers. Every area's routes.ts declares its routes and jobs with these types.

/** What a route's function may touch; the CDK stack derives each function's IAM policy from it. */
export interface Access {
  /** DynamoDB: none, read (Get/Query), or write (read + Put/Update/Delete/Transact). */
  table: 'none' | 'read' | 'write';
  /** KMS: `decrypt` unwraps tenants' data keys; `generate` makes new ones (registration). */
  kms: ('decrypt' | 'generate')[];
  /** Calls OAuth providers' token endpoints (outbound HTTPS). */
  outbound?: boolean;
  /** Sends to the webhook queue. */
  queue?: boolean;
  /** Invokes these functions (job ids with trigger `invoke`), synchronously. */
  invoke?: string[];
  /** Calls Stripe (billing): reads the Stripe secret key when billing is configured. */
  stripe?: boolean;
  /** Verifies Stripe's event signatures: reads the Stripe signing secret when billing is configured. */
  stripeWebhookSecret?: boolean;
  /** Reads the operator's registration secret (closed registration). */
  registrationSecret?: boolean;
  /**
   * Writes audit events (lib/audit) though its table access is `read`: PutItem and DeleteItem
   * (taking back the event of a read that found nothing), in audit partitions only.
   */
  audit?: boolean;
}

/** A route of the vault: its HTTP definition plus what its function may touch. */
export interface VaultRouteDef extends RouteDef {
  access: Access;
}

/** A function that is not an HTTP route: run on a schedule or fed by the webhook queue. */
export interface JobDef {
  id: string;
  entry: string;
  summary: string;
  access: Access;
  /**
   * `schedule`: EventBridge deployed, a timer in-process locally. `queue`: consumes the webhook
   * queue. `invoke`: called by another function that lists it in `access.invoke` (Lambda Invoke
   * deployed, a direct call in-process locally).
   */
  trigger: 'schedule' | 'queue' | 'invoke';
  /** For schedule jobs: the period; absent means REFRESH_INTERVAL_SECONDS. */
  everySeconds?: number;
  /**
   * For schedule jobs under `npm start`: the config entry (lib/config.ts) holding the local
   * period, when it differs from the deployed one (the sweeper is also the local queue's worker).
   */
  localEverySecondsFrom?: 'WEBHOOK_SWEEP_SECONDS' | 'DATA_KEY_JOB_SECONDS';
  timeoutSeconds: number;
}

/** Declares a route, keeping its literal types (scope, schemas, responses) for the handler's typed input and output. */
export const defineRoute = <const D extends VaultRouteDef>(d: D) => d;

// Access shared by several areas.
export const none: Access = { table: 'none', kms: [] };
/** Reads secrets: opens them with the tenant's data key. */
export const read: Access = { table: 'read', kms: ['decrypt'] };
/** Authenticated writes take an Idempotency-Key whose record is sealed with the tenant's data key. */
export const write: Access = { table: 'write', kms: ['decrypt'] };
/** Token writes commit events, handed to the webhook queue right after commit. */
export const tokenWrite: Access = { ...write, queue: true };
/** Token writes that first call an OAuth provider's token endpoint. */
export const oauthCall: Access = { ...tokenWrite, outbound: true };
