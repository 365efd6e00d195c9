import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { WebhookEvent } from './types.js';

// Standard Webhooks verification (signature over `id.timestamp.body`, timestamp within 5 minutes).

export { WebhookVerificationError };

/**
 * Verifies a delivery and returns its event. Pass the raw body exactly as received (not re-serialised
 * JSON), the request's headers, and the endpoint's `whsec_...` secret. Throws
 * `WebhookVerificationError` when the signature or timestamp does not check out.
 */
export function verifyWebhook(
  payload: string | Uint8Array,
  headers: Headers | Record<string, string | string[] | undefined>,
  secret: string,
): WebhookEvent {
  const plain: Record<string, string> = {};
  if (typeof (headers as Headers).forEach === 'function' && typeof (headers as Headers).get === 'function') {
    (headers as Headers).forEach((value, name) => {
      plain[name.toLowerCase()] = value;
    });
  } else {
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined) plain[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  const body = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
  return new Webhook(secret).verify(body, plain) as WebhookEvent;
}
