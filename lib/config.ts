import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';

// Environment is read once, here, at load. A bad value fails fast with a message naming the variable.

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const inLambda = Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME);

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

const schema = z.object({
  PORT: int(1, 65535).default(8000),
  VAULT_HOME: z.string().min(1).default(join(projectRoot, '.vault')),
  DYNAMODB_ENDPOINT: z.url().optional(),
  TABLE_NAME: z.string().min(3).max(255).default('token-vault'),
  KMS_KEY_ID: z.string().min(1).optional(),
  REGISTRATION: z.enum(['open', 'closed']).default(inLambda ? 'closed' : 'open'),
  REGISTRATION_SECRET: z.string().min(16).optional(),
  /** Deployed: the operator secret lives in Secrets Manager; only the Register function may read it. */
  REGISTRATION_SECRET_ARN: z.string().startsWith('arn:').optional(),
  AUTH_CACHE_TTL_SECONDS: int(0, 3600).default(60),
  CORS_ORIGINS: csv.default([]),
  REFRESH_MARGIN_SECONDS: int(0, 86_400).default(300),
  REFRESH_INTERVAL_SECONDS: int(10, 86_400).default(300),
  REFRESH_CONCURRENCY: int(1, 100).default(8),
  /** At most this many of one tenant's due tokens per scheduled run; the rest wait for the next run. */
  REFRESH_TENANT_SHARE: int(1, 100_000).default(1000),
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .default('5,300,1800,7200,18000,36000,36000')
    .transform((s, ctx) => {
      const parts = s.split(',').map((x) => x.trim());
      const seconds = parts.map(Number);
      if (parts.some((x) => !/^\d+$/.test(x)) || seconds.some((n) => n > 7 * 86_400)) {
        ctx.addIssue({
          code: 'custom',
          message: 'comma-separated whole seconds (0..604800), e.g. 5,300,1800',
        });
        return z.NEVER;
      }
      return seconds;
    }),
  WEBHOOK_QUEUE_URL: z.url().optional(),
  /** The webhook sweeper's period: EventBridge's 60 s deployed; locally it is the in-process queue's poll. */
  WEBHOOK_SWEEP_SECONDS: int(1, 3600).default(inLambda ? 60 : 2),
  /** An endpoint whose deliveries have failed without a success for this long is disabled (5 days). */
  WEBHOOK_DISABLE_AFTER_SECONDS: int(60, 90 * 86_400).default(5 * 86_400),
  /** After a secret rotation, the previous secret keeps signing (alongside the new one) this long. */
  WEBHOOK_SECRET_GRACE_SECONDS: int(0, 7 * 86_400).default(86_400),
  /** `deployed` (Lambda) enforces https and public addresses on outbound URLs; `local` allows http://localhost. */
  VAULT_MODE: z.enum(['deployed', 'local']).default(inLambda ? 'deployed' : 'local'),
  STAGE: z.string().default('local'),
  /** The vault's public base URL, for OAuth redirect URIs; default: from the request's Host. */
  PUBLIC_URL: z.url().optional(),
  /** Deployed: the names of the functions this one may invoke, as JSON `{jobId: functionName}` (set by the stack). */
  INVOKE_FUNCTIONS: z
    .string()
    .default('{}')
    .transform((s, ctx) => {
      try {
        return z.record(z.string(), z.string().min(1)).parse(JSON.parse(s));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'a JSON object of job id to function name' });
        return z.NEVER;
      }
    }),
  /** Per-tenant rate limit of authenticated requests, per instance: the token bucket's refill rate... */
  RATE_LIMIT_PER_SECOND: z.coerce.number().positive().max(100_000).default(50),
  /** ...and its size: the burst a tenant may send at once. */
  RATE_LIMIT_BURST: int(1, 1_000_000).default(100),
  /** A dashboard session ends after this long without a request (checked in code: DynamoDB Local has no TTL). */
  DASHBOARD_SESSION_IDLE_SECONDS: int(60, 86_400).default(1800),
  /** ...and this long after sign-in, whatever happens. */
  DASHBOARD_SESSION_MAX_SECONDS: int(60, 7 * 86_400).default(28_800),
  /** Billing (issue 14): `off` changes nothing; `stripe` enforces plan limits and bills through Stripe. */
  BILLING: z.enum(['off', 'stripe']).default('off'),
  STRIPE_SECRET_KEY: z.string().min(1).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  /** Deployed: the two Stripe secrets live in Secrets Manager; these name them. */
  STRIPE_SECRET_KEY_ARN: z.string().startsWith('arn:').optional(),
  STRIPE_WEBHOOK_SECRET_ARN: z.string().startsWith('arn:').optional(),
  /** Stripe's API base URL; unset means Stripe's own. Point it at a local Stripe double in tests. */
  STRIPE_API_URL: z.url().optional(),
  /** The Billing Meter's event name that API calls are reported under. */
  STRIPE_METER_EVENT_NAME: z.string().min(1).default('vault_api_calls'),
  /** JSON, or a path to a JSON file: the plan list (lib/billing/plans.ts); unset: built-in free and pro. */
  BILLING_PLANS: z.string().min(1).optional(),
  /** The Stripe price of the built-in `pro` plan (used when BILLING_PLANS is unset). */
  STRIPE_PRO_PRICE_ID: z.string().min(1).default('price_vault_pro'),
  BILLING_GRACE_DAYS: z.coerce.number().min(0).max(365).default(7),
  /** How long a process trusts its cached plan and usage before re-reading them (0: every call). */
  BILLING_CACHE_SECONDS: int(0, 3600).default(10),
  /** Counted calls are written at most this often per tenant per process (0: after every call). */
  BILLING_FLUSH_SECONDS: int(0, 3600).default(5),
  /** How long a process keeps a tenant's unwrapped data keys; a retired version is dropped within it. */
  DATA_KEY_CACHE_SECONDS: int(1, 3600).default(300),
  /** The re-encryption job reseals at most this many values per second per run. */
  DATA_KEY_REENCRYPT_PER_SECOND: int(1, 10_000).default(100),
  /**
   * An old data-key version is retired no sooner than this long after the rotation: at least the
   * cache period (processes may still seal with it) plus a connect session's 10 minutes.
   */
  DATA_KEY_RETIRE_AFTER_SECONDS: int(0, 30 * 86_400).default(900),
  /** The re-encryption job's period under `npm start` (EventBridge runs it every minute deployed). */
  DATA_KEY_JOB_SECONDS: int(1, 3600).default(5),
  /** Audit events expire (TTL) this many days after they happen; export them to S3 to keep them longer. */
  AUDIT_RETENTION_DAYS: int(1, 3650).default(365),
  /** Powertools' service name (the `service` dimension of every custom metric) and metrics namespace. */
  POWERTOOLS_SERVICE_NAME: z.string().min(1).default('token-vault'),
  POWERTOOLS_METRICS_NAMESPACE: z.string().min(1).default('TokenVault'),
  /** Set by Lambda; locally the region DynamoDB Local is addressed in. */
  AWS_REGION: z.string().min(1).optional(),
});

export type Config = z.infer<typeof schema>;

function load(env: NodeJS.ProcessEnv): Config {
  // Empty strings count as unset, as a shell `VAR=` would suggest.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(present);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

export const config: Config = load(process.env);

/** Inside Lambda. Read when asked, not at load (a guard, and its test, may run after import). */
export const runningInLambda = (): boolean => Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME);

/** Where Powertools' Tracer would trace: in Lambda, outside SAM, unless POWERTOOLS_TRACE_ENABLED=false. */
export const tracingOn = (): boolean =>
  Boolean(process.env.AWS_EXECUTION_ENV) &&
  !process.env.AWS_SAM_LOCAL &&
  process.env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() !== 'false';

/**
 * For a launcher (`npm start`) only: sets environment variables (unless set already, or always
 * with `overwrite`) and reads the configuration again, in place, before the modules that use them
 * are imported. Powertools reads its own POWERTOOLS_* variables from the environment.
 */
export function applyEnv(values: Record<string, string>, { overwrite = false } = {}): void {
  for (const [name, value] of Object.entries(values)) {
    if (overwrite || !process.env[name]) process.env[name] = value;
  }
  Object.assign(config, load(process.env));
}
export { projectRoot };
