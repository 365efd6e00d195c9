import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { AuditExportProps } from './audit-export.js';

// TokenVault's props, their defaults and their checks: one place, used by the construct and by
// this repo's app (infra/stack.ts) before it names the stack.

/** API Gateway stage throttling, for the whole API (every route). */
export interface ThrottlingProps {
  /** Steady-state requests per second. @default 100 */
  readonly rateLimit?: number;
  /** Requests allowed in a burst above the rate. @default 200 */
  readonly burstLimit?: number;
}

export interface TokenVaultProps {
  /**
   * Stage name (`dev`, `staging`, `prod`, ...): lower case letters, digits and dashes, at most 20
   * characters. Names the key alias, the functions and the dashboard, and sets the defaults of
   * `removalPolicy`.
   */
  readonly stage: string;
  /**
   * Who may register a tenant: anyone (`open`), or only a caller presenting the generated
   * registration secret in `X-Registration-Secret` (`closed`).
   * @default 'closed'
   */
  readonly registration?: 'open' | 'closed';
  /**
   * Browser origins allowed to call the API (CORS), e.g. `['https://app.example.com']`. Empty:
   * no CORS configuration, so browsers on other origins cannot call it.
   * @default []
   */
  readonly corsOrigins?: string[];
  /** API Gateway stage throttling. @default { rateLimit: 100, burstLimit: 200 } */
  readonly throttling?: ThrottlingProps;
  /** Retention of the functions' logs and the API's access logs. @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /**
   * An existing SNS topic for the alarms. If omitted, the vault creates one; subscribe to it
   * (`aws sns subscribe ...`) to receive the alarms.
   * @default - a new topic
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * What happens to the table, the KMS key, the registration secret and the log groups when they
   * leave the stack. Anything but `DESTROY` also turns on the table's deletion protection.
   * @default RemovalPolicy.RETAIN, except RemovalPolicy.DESTROY for the stage 'dev'
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * An existing symmetric KMS key to use instead of creating one. Its key policy is not changed
   * (it cannot be from here): it must let IAM policies grant its use (the default key policy's
   * statement giving the account root `kms:*` does), because the vault grants its functions the
   * key through IAM only. Without it, the vault creates a key whose policy names the functions.
   * @default - a new key, rotated yearly, with the alias `alias/token-vault-<stage>`
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How often the scheduled refresh job runs (and any scheduled job without its own
   * `everySeconds`): whole minutes, at least one.
   * @default Duration.minutes(5)
   */
  readonly refreshInterval?: Duration;
  /**
   * How long a function trusts a verified API key before checking it again (revocation takes
   * effect within this time). Zero disables the cache.
   * @default Duration.seconds(60)
   */
  readonly authCacheTtl?: Duration;
  /**
   * The vault's public base URL (e.g. `https://vault.example.com` behind a custom domain), used in
   * the OAuth redirect URIs it hands out.
   * @default the Host of each request (the API's execute-api domain)
   */
  readonly publicUrl?: string;
  /**
   * Prefix of the physical names (functions, key alias, dashboard). Change it to deploy two
   * vaults of the same stage into one account and region.
   * @default `token-vault-<stage>`
   */
  readonly namePrefix?: string;
  /**
   * Billing through Stripe (`BILLING=stripe`): plans, limits, Checkout, the Customer Portal and
   * usage reported as meter events. Without it billing is off and nothing of it is deployed
   * beyond the billing routes, which answer 404.
   * @default - billing off
   */
  readonly billing?: BillingProps;
  /**
   * Export audit events to S3 for retention beyond AUDIT_RETENTION_DAYS (DynamoDB Streams, an
   * EventBridge Pipe filtered to audit items, Firehose; see infra/audit-export.ts).
   * @default - no export
   */
  readonly auditExport?: AuditExportProps;
}

export interface BillingProps {
  /**
   * Name (or complete ARN) of an existing Secrets Manager secret whose string value is the Stripe
   * secret key (`sk_live_...`, or a restricted key). Only the functions that call Stripe may read it.
   */
  readonly stripeSecretKeySecret: string;
  /** Name (or complete ARN) of the secret holding the Stripe endpoint's signing secret (`whsec_...`). */
  readonly stripeWebhookSecret: string;
  /** The plan list (`BILLING_PLANS`, see the README). @default - the built-in free and pro pair */
  readonly plans?: Record<string, unknown>[];
  /** The built-in `pro` plan's Stripe price, when `plans` is not given. */
  readonly proPriceId?: string;
  /** Days a failed payment is tolerated before the tenant is read-only. @default 7 */
  readonly graceDays?: number;
  /** The Billing Meter's event name. @default 'vault_api_calls' */
  readonly meterEventName?: string;
}

export const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;

/** Stage names become part of physical names (functions, alias, stack). */
export function checkStage(stage: string): void {
  if (!STAGE_PATTERN.test(stage)) {
    throw new Error(
      `TokenVault stage '${stage}': use 1-20 lower case letters, digits or dashes, starting with a letter`,
    );
  }
}

/** The props with their defaults applied, checked. */
export interface Settings {
  stage: string;
  namePrefix: string;
  registration: 'open' | 'closed';
  corsOrigins: string[];
  rateLimit: number;
  burstLimit: number;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
  refreshInterval: Duration;
  authCacheTtl: Duration;
}

/** EventBridge rates are whole minutes. */
export function checkRate(what: string, period: Duration): void {
  const seconds = period.toSeconds();
  if (seconds < 60 || seconds % 60 !== 0) {
    throw new Error(
      `TokenVault ${what}: whole minutes, at least one (an EventBridge rate), got ${seconds} s`,
    );
  }
}

/** Applies the defaults and checks the props, failing at synth with the prop's name. */
export function resolveSettings(props: TokenVaultProps): Settings {
  const { stage } = props;
  checkStage(stage);
  const registration = props.registration ?? 'closed';
  if (registration !== 'open' && registration !== 'closed') {
    throw new Error(`TokenVault registration '${registration}': 'open' or 'closed'`);
  }
  const corsOrigins = props.corsOrigins ?? [];
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s,]+$/.test(origin)) {
      throw new Error(`TokenVault corsOrigins: '${origin}' is not an origin (scheme://host[:port], no path)`);
    }
  }
  const rateLimit = props.throttling?.rateLimit ?? 100;
  const burstLimit = props.throttling?.burstLimit ?? 200;
  if (!(rateLimit > 0) || !Number.isInteger(burstLimit) || burstLimit <= 0) {
    throw new Error('TokenVault throttling: rateLimit > 0 and a whole burstLimit > 0');
  }
  const refreshInterval = props.refreshInterval ?? Duration.minutes(5);
  checkRate('refreshInterval', refreshInterval);
  const authCacheTtl = props.authCacheTtl ?? Duration.seconds(60);
  if (authCacheTtl.toSeconds() > 3600) throw new Error('TokenVault authCacheTtl: at most one hour');
  const logRetention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
  if (!Object.values(logs.RetentionDays).includes(logRetention)) {
    throw new Error(
      `TokenVault logRetention: one of CloudWatch's retention periods (1, 3, 5, 7, 14, 30, 60, 90, ...), got ${logRetention}`,
    );
  }
  const namePrefix = props.namePrefix ?? `token-vault-${stage}`;
  if (!/^[a-zA-Z0-9-]{1,40}$/.test(namePrefix)) {
    throw new Error(`TokenVault namePrefix '${namePrefix}': 1-40 letters, digits or dashes`);
  }
  return {
    stage,
    namePrefix,
    registration,
    corsOrigins,
    rateLimit,
    burstLimit,
    logRetention,
    removalPolicy: props.removalPolicy ?? (stage === 'dev' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN),
    refreshInterval,
    authCacheTtl,
  };
}
