// A fake Stripe API on a local port for the real `stripe` SDK (pointed at it with STRIPE_API_HOST,
// _PORT, _PROTOCOL): checkout sessions (create, retrieve, expire), refunds, idempotency keys replayed
// like Stripe does, and switches that make it fail (500) or hang, as a provider that is down would.
// Objects start from the real shapes in ../shared/data/stripe-fixtures.json when present.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { stripeShape } from './stripe-fixtures.ts';

export interface FakeStripe {
  port: number;
  env: Record<string, string>;
  /** Every API request received: method, path and the form parameters (flat, as sent). */
  requests: Array<{ method: string; path: string; params: Record<string, string>; idempotencyKey: string | null }>;
  sessions: Map<string, Record<string, any>>;
  refunds: Map<string, Record<string, any>>;
  /** 'ok', or fail every request with a 500, or never answer (the SDK's timeout fires). */
  mode: 'ok' | 'error' | 'hang';
  /** Status of new refunds ('pending' models a bank that takes its time). */
  refundStatus: 'succeeded' | 'pending';
  /** The buyer pays on Stripe's page: the session completes with a PaymentIntent. */
  pay(sessionId: string): Record<string, any>;
  close(): Promise<void>;
}

const id = (prefix: string) => `${prefix}_test_${randomBytes(12).toString('hex')}`;

export async function startFakeStripe(): Promise<FakeStripe> {
  const sessions = new Map<string, Record<string, any>>();
  const refunds = new Map<string, Record<string, any>>();
  const replies = new Map<string, [number, unknown]>();
  const requests: FakeStripe['requests'] = [];
  const hanging = new Set<http.ServerResponse>();

  function handle(method: string, path: string, p: Record<string, string>): [number, unknown] {
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/checkout/sessions') {
      const items = Object.keys(p).filter((k) => /^line_items\[\d+\]\[quantity\]$/.test(k)).map((k) => k.slice(0, k.indexOf(']') + 1));
      const total = items.reduce((sum, k) => sum + Number(p[`${k}[price_data][unit_amount]`]) * Number(p[`${k}[quantity]`]), 0);
      const sid = id('cs');
      const session = stripeShape('checkout.session', {
        id: sid, object: 'checkout.session', mode: 'payment', status: 'open', payment_status: 'unpaid', payment_intent: null,
        url: `https://checkout.stripe.test/c/pay/${sid}`, amount_total: total, amount_subtotal: total, currency: p.currency ?? p['line_items[0][price_data][currency]'],
        client_reference_id: p.client_reference_id ?? null, customer_email: p.customer_email ?? null,
        metadata: { booking_id: p['metadata[booking_id]'], payment_id: p['metadata[payment_id]'] },
        expires_at: Number(p.expires_at), success_url: p.success_url, cancel_url: p.cancel_url, livemode: false,
      });
      sessions.set(sid, session);
      return [200, session];
    }
    if ((m = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path)) && method === 'GET') {
      const session = sessions.get(m[1]);
      return session ? [200, session] : [404, { error: { type: 'invalid_request_error', message: `No such checkout.session: '${m[1]}'` } }];
    }
    if ((m = /^\/v1\/checkout\/sessions\/([^/]+)\/expire$/.exec(path)) && method === 'POST') {
      const session = sessions.get(m[1]);
      if (!session) return [404, { error: { type: 'invalid_request_error', message: 'No such checkout.session' } }];
      if (session.status !== 'open') {
        return [400, { error: { type: 'invalid_request_error', message: `Only Checkout Sessions with a status of open can be expired. This Checkout Session has a status of ${session.status}.` } }];
      }
      session.status = 'expired';
      return [200, session];
    }
    if (method === 'POST' && path === '/v1/refunds') {
      const rid = id('re');
      const refund = stripeShape('refund', {
        id: rid, object: 'refund', amount: Number(p.amount), payment_intent: p.payment_intent, status: fake.refundStatus,
        currency: [...sessions.values()].find((s) => s.payment_intent === p.payment_intent)?.currency ?? 'eur',
        metadata: { refund_id: p['metadata[refund_id]'] }, charge: null,
      });
      refunds.set(rid, refund);
      return [200, refund];
    }
    if ((m = /^\/v1\/refunds\/([^/]+)$/.exec(path)) && method === 'GET') {
      const refund = refunds.get(m[1]);
      return refund ? [200, refund] : [404, { error: { type: 'invalid_request_error', message: `No such refund: '${m[1]}'` } }];
    }
    return [404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path})` } }];
  }

  const fake: FakeStripe = {
    port: 0,
    env: {},
    requests,
    sessions,
    refunds,
    mode: 'ok',
    refundStatus: 'succeeded',
    pay(sessionId) {
      const session = sessions.get(sessionId);
      if (!session) throw new Error(`no session ${sessionId}`);
      Object.assign(session, { status: 'complete', payment_status: 'paid', payment_intent: session.payment_intent ?? id('pi') });
      return session;
    },
    close: () => new Promise((resolve) => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const params = Object.fromEntries(new URLSearchParams(req.method === 'GET' ? url.search : body));
      const key = (req.headers['idempotency-key'] as string | undefined) ?? null;
      requests.push({ method: req.method ?? '', path: url.pathname, params, idempotencyKey: key });
      if (fake.mode === 'hang') { hanging.add(res); return; }
      let reply: [number, unknown];
      if (fake.mode === 'error') {
        reply = [500, { error: { type: 'api_error', message: 'Fake Stripe is down.' } }];
      } else if (key && replies.has(`${req.method} ${url.pathname} ${key}`)) {
        reply = replies.get(`${req.method} ${url.pathname} ${key}`)!;
      } else {
        reply = handle(req.method ?? '', url.pathname, params);
        // Stripe replays the first answer to a key; answers it could not produce (5xx) are not kept.
        if (key && reply[0] < 500) replies.set(`${req.method} ${url.pathname} ${key}`, reply);
      }
      res.writeHead(reply[0], { 'content-type': 'application/json', 'request-id': id('req') });
      res.end(JSON.stringify(reply[1]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.port = (server.address() as { port: number }).port;
  fake.env = {
    STRIPE_SECRET_KEY: 'sk_test_fake',
    STRIPE_WEBHOOK_SECRET: 'whsec_test_fake',
    STRIPE_API_HOST: '127.0.0.1',
    STRIPE_API_PORT: String(fake.port),
    STRIPE_API_PROTOCOL: 'http',
    STRIPE_TIMEOUT_MS: '1500',
  };
  return fake;
}
