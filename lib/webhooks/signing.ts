import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

// Standard Webhooks (https://www.standardwebhooks.com): secrets are `whsec_` + base64 of random
// bytes; a message is signed as HMAC-SHA256 over `id.timestamp.body` by the `standardwebhooks`
// library, so any Standard Webhooks verifier accepts it.

const SECRET_BYTES = 32;

export function newSecret(): string {
  return `whsec_${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/**
 * The three Standard Webhooks headers. With several secrets (during a rotation's grace period),
 * `webhook-signature` carries one space-separated `v1,<sig>` per secret; a verifier holding
 * either secret accepts the message.
 */
export function signedHeaders(
  secrets: string[],
  msgId: string,
  at: Date,
  body: string,
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(msgId, at, body)).join(' '),
  };
}
