import { stripeEvent } from '../../lib/billing/api.js';
import { auditContext } from '../../lib/http/audit-context.js';
import { ok } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { billingRoutes } from './routes.js';

// Stripe's signature covers the raw bytes: the body is verified before anything parses it.
export const handler = route(billingRoutes.stripeEvents, async ({ event }) => {
  const raw = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  return ok(
    await stripeEvent(
      raw,
      event.headers?.['stripe-signature'],
      auditContext(event, { type: 'system', name: 'Stripe' }),
    ),
  );
});
