import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

// A small local Stripe double for tests: real HTTP, Stripe's v1 wire format (form-encoded
// requests with bracketed keys, JSON responses, Stripe's error shape, Idempotency-Key on
// customer creation). It covers what the vault calls — customers, Checkout Sessions, Billing
// Portal sessions, subscriptions retrieve, billing meter events — because stripe-stateful-mock
// (0.0.16) covers none of Checkout, the Portal or meter events. The official SDK talks to it
// unmodified (`host`, `port`, `protocol`); tests drive Stripe's side (a subscription changing)
// through the methods below.

export interface DoubleSubscription {
  id: string;
  object: 'subscription';
  customer: string;
  status: string;
  cancel_at_period_end: boolean;
  metadata: Record<string, string>;
  items: {
    object: 'list';
    data: {
      id: string;
      object: 'subscription_item';
      price: { id: string; object: 'price' };
      current_period_start: number;
      current_period_end: number;
    }[];
  };
}

export interface MeterEventRecord {
  event_name: string;
  identifier: string;
  payload: Record<string, string>;
}

export interface StripeDouble {
  url: string;
  requests: { method: string; path: string; headers: IncomingHttpHeaders; body: Record<string, unknown> }[];
  customers: Map<string, Record<string, unknown>>;
  checkoutSessions: Map<string, Record<string, unknown>>;
  subscriptions: Map<string, DoubleSubscription>;
  meterEvents: MeterEventRecord[];
  /** The next `n` meter events are recorded, then answered with a 500 (the answer is "lost"). */
  failMeterEventsAfterAccept(n: number): void;
  /** The next `n` meter event requests are refused with a 500 before anything is recorded. */
  failMeterEvents(n: number): void;
  /** Stripe's side of a completed Checkout: the subscription exists, active. */
  completeCheckout(sessionId: string): DoubleSubscription;
  setSubscription(
    id: string,
    change: Partial<Pick<DoubleSubscription, 'status' | 'cancel_at_period_end'>> & { price?: string },
  ): DoubleSubscription;
  createSubscription(customer: string, price: string, status?: string): DoubleSubscription;
  close(): Promise<void>;
}

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

/** Parses `a[b][0][c]=v` form bodies into nested objects (arrays for numeric keys). */
export function parseForm(body: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const path = rawKey.replace(/\]/g, '').split('[');
    let node = out as Record<string, unknown>;
    path.forEach((k, i) => {
      if (i === path.length - 1) node[k] = value;
      else {
        node[k] ??= {};
        node = node[k] as Record<string, unknown>;
      }
    });
  }
  return out;
}

export async function startStripeDouble(secretKey: string): Promise<StripeDouble> {
  const requests: StripeDouble['requests'] = [];
  const customers = new Map<string, Record<string, unknown>>();
  const idempotent = new Map<string, unknown>();
  const checkoutSessions = new Map<string, Record<string, unknown>>();
  const subscriptions = new Map<string, DoubleSubscription>();
  const meterEvents: MeterEventRecord[] = [];
  let acceptThenFail = 0;
  let refuse = 0;

  const error = (status: number, message: string, code?: string) => ({
    status,
    body: {
      error: {
        type: status === 401 ? 'invalid_request_error' : 'api_error',
        message,
        ...(code ? { code } : {}),
      },
    },
  });

  const newSubscription = (customer: string, price: string, status = 'active'): DoubleSubscription => {
    const now = Math.floor(Date.now() / 1000);
    const sub: DoubleSubscription = {
      id: id('sub'),
      object: 'subscription',
      customer,
      status,
      cancel_at_period_end: false,
      metadata: {},
      items: {
        object: 'list',
        data: [
          {
            id: id('si'),
            object: 'subscription_item',
            price: { id: price, object: 'price' },
            current_period_start: now,
            current_period_end: now + 30 * 86_400,
          },
        ],
      },
    };
    subscriptions.set(sub.id, sub);
    return sub;
  };

  function handle(method: string, path: string, headers: IncomingHttpHeaders, body: Record<string, unknown>) {
    if (headers.authorization !== `Bearer ${secretKey}`) return error(401, 'Invalid API Key provided');
    if (method === 'POST' && path === '/v1/customers') {
      const key = headers['idempotency-key'] as string | undefined;
      if (key && idempotent.has(key)) return { status: 200, body: idempotent.get(key) };
      const customer = { id: id('cus'), object: 'customer', ...body };
      customers.set(customer.id, customer);
      if (key) idempotent.set(key, customer);
      return { status: 200, body: customer };
    }
    if (method === 'POST' && path === '/v1/checkout/sessions') {
      if (!customers.has(body.customer as string)) return error(400, 'No such customer');
      const session = {
        id: id('cs_test'),
        object: 'checkout.session',
        url: '',
        status: 'open',
        subscription: null,
        ...body,
      };
      session.url = `https://checkout.stripe.com/c/pay/${session.id}`;
      checkoutSessions.set(session.id, session);
      return { status: 200, body: session };
    }
    if (method === 'POST' && path === '/v1/billing_portal/sessions') {
      if (!customers.has(body.customer as string)) return error(400, 'No such customer');
      const s = id('bps');
      return {
        status: 200,
        body: {
          id: s,
          object: 'billing_portal.session',
          url: `https://billing.stripe.com/p/session/${s}`,
          ...body,
        },
      };
    }
    const sub = /^\/v1\/subscriptions\/([^/]+)$/.exec(path);
    if (method === 'GET' && sub) {
      const found = subscriptions.get(sub[1] as string);
      return found
        ? { status: 200, body: found }
        : error(404, `No such subscription: '${sub[1]}'`, 'resource_missing');
    }
    if (method === 'POST' && path === '/v1/billing/meter_events') {
      if (refuse > 0) {
        refuse -= 1;
        return error(500, 'Try again');
      }
      const identifier = (body.identifier as string | undefined) ?? id('mev');
      if (meterEvents.some((e) => e.identifier === identifier))
        return error(
          400,
          `An event already exists with identifier ${identifier}.`,
          'resource_already_exists',
        );
      meterEvents.push({
        event_name: body.event_name as string,
        identifier,
        payload: body.payload as Record<string, string>,
      });
      if (acceptThenFail > 0) {
        acceptThenFail -= 1;
        return error(500, 'Lost answer');
      }
      return { status: 200, body: { object: 'billing.meter_event', identifier, ...body } };
    }
    return error(404, `Unrecognized request URL (${method}: ${path})`);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const body = parseForm(Buffer.concat(chunks).toString('utf8'));
      const method = req.method ?? 'GET';
      requests.push({ method, path: url.pathname, headers: req.headers, body });
      const out = handle(method, url.pathname, req.headers, body);
      res.writeHead(out.status, { 'content-type': 'application/json', 'request-id': id('req') });
      res.end(JSON.stringify(out.body));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    customers,
    checkoutSessions,
    subscriptions,
    meterEvents,
    failMeterEventsAfterAccept: (n) => {
      acceptThenFail = n;
    },
    failMeterEvents: (n) => {
      refuse = n;
    },
    completeCheckout(sessionId) {
      const session = checkoutSessions.get(sessionId);
      if (!session) throw new Error(`no session ${sessionId}`);
      const items = session.line_items as Record<string, { price: string }>;
      const created = newSubscription(session.customer as string, (items['0'] as { price: string }).price);
      Object.assign(session, { status: 'complete', subscription: created.id });
      return created;
    },
    createSubscription: newSubscription,
    setSubscription(subId, change) {
      const s = subscriptions.get(subId);
      if (!s) throw new Error(`no subscription ${subId}`);
      if (change.status !== undefined) s.status = change.status;
      if (change.cancel_at_period_end !== undefined) s.cancel_at_period_end = change.cancel_at_period_end;
      if (change.price !== undefined) (s.items.data[0] as { price: { id: string } }).price.id = change.price;
      return s;
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
