import Stripe from 'stripe';
import { config } from '../config.js';

// The official Stripe SDK, made once per process; loaded only by billing code (BILLING=stripe).
// STRIPE_API_URL points it elsewhere (a local Stripe double in the tests). Deployed, both secrets
// come from Secrets Manager (Powertools Parameters, cached), never from the environment.

async function secret(plain: string | undefined, arn: string | undefined, name: string): Promise<string> {
  if (plain) return plain;
  if (arn) {
    const { getSecret } = await import('@aws-lambda-powertools/parameters/secrets');
    const value = (await getSecret(arn, { maxAge: 300 })) as string | undefined;
    if (value) return value;
  }
  throw new Error(`BILLING=stripe needs ${name} (or ${name}_ARN)`);
}

let client: Promise<Stripe> | undefined;

export function stripe(): Promise<Stripe> {
  client ??= secret(config.STRIPE_SECRET_KEY, config.STRIPE_SECRET_KEY_ARN, 'STRIPE_SECRET_KEY').then(
    (key) => {
      const url = config.STRIPE_API_URL ? new URL(config.STRIPE_API_URL) : undefined;
      const protocol = url?.protocol === 'http:' ? 'http' : 'https';
      return new Stripe(key, {
        maxNetworkRetries: 2,
        timeout: 10_000,
        ...(url ? { host: url.hostname, port: url.port || (protocol === 'http' ? 80 : 443), protocol } : {}),
      });
    },
  );
  client.catch(() => {
    client = undefined;
  });
  return client;
}

export const webhookSecret = () =>
  secret(config.STRIPE_WEBHOOK_SECRET, config.STRIPE_WEBHOOK_SECRET_ARN, 'STRIPE_WEBHOOK_SECRET');

export type { Stripe };
