// A Boxoffice server wired to fake Stripe (and optionally fake Postmark), plus the worker's task
// dependencies with the same configuration, so tests can run the real tasks as the worker would.
import { loadConfig } from '../../lib/config.ts';
import { makeDeps, withClientOf, type WithClient, type WorkerDeps } from '../../worker/deps.ts';
import { startFakePostmark, type FakePostmark } from '../fakes/postmark.ts';
import { startFakeStripe, type FakeStripe } from '../fakes/stripe.ts';
import { signedEvent } from '../fakes/stripe-fixtures.ts';
import { ownerPool, testDatabaseUrl } from './db.ts';
import { startTestServer, type TestServer } from './server.ts';
import type pg from 'pg';

export interface PaymentStack {
  stripe: FakeStripe;
  postmark: FakePostmark | null;
  server: TestServer;
  pool: pg.Pool;
  deps: WorkerDeps;
  withClient: WithClient;
  /** Holds the tickets and starts checkout; returns the booking id, payment id and Stripe session id. */
  holdAndCheckout(token: string, eventId: string, ticketIds: string[]): Promise<{ bookingId: string; paymentId: string; sessionId: string; checkoutUrl: string }>;
  /** Delivers a signed Stripe event to POST /webhooks/stripe. */
  deliver(type: string, object: Record<string, unknown>, eventId?: string): Promise<{ status: number; body: any; eventId: string }>;
  close(): Promise<void>;
}

export async function startPaymentStack(opts: { postmark?: boolean } = {}): Promise<PaymentStack> {
  const stripe = await startFakeStripe();
  const postmark = opts.postmark ? await startFakePostmark() : null;
  const env = { ...stripe.env, ...(postmark?.env ?? {}) };
  const server = await startTestServer(env);
  const config = loadConfig({ ...process.env, NODE_ENV: 'test', DATABASE_URL: testDatabaseUrl(), ...env });
  config.publicUrl = server.url;
  const pool = ownerPool(8);
  const withClient = withClientOf(pool);
  const deps = makeDeps(config);

  return {
    stripe, postmark, server, pool, deps, withClient,
    async holdAndCheckout(token, eventId, ticketIds) {
      const hold = await server.request('POST', '/bookings', { token, body: { eventId, ticketIds } });
      if (hold.status !== 201) throw new Error(`hold failed: ${hold.status} ${JSON.stringify(hold.body)}`);
      const checkout = await server.request('POST', `/bookings/${hold.body.id}/checkout`, { token });
      if (checkout.status !== 200) throw new Error(`checkout failed: ${checkout.status} ${JSON.stringify(checkout.body)}`);
      const sessionId = checkout.body.checkoutUrl.split('/').pop();
      return { bookingId: hold.body.id, paymentId: checkout.body.paymentId, sessionId, checkoutUrl: checkout.body.checkoutUrl };
    },
    async deliver(type, object, eventId) {
      const event = signedEvent(type, object, stripe.env.STRIPE_WEBHOOK_SECRET, eventId);
      const res = await server.request('POST', '/webhooks/stripe', { body: event.body, headers: { 'stripe-signature': event.signature } });
      return { ...res, eventId: event.id };
    },
    async close() {
      // Test files run one after another on one database: leave no follow-up work due, or a later
      // file's graphile-worker run would do it with that file's configuration (no fakes).
      await pool.query('delete from app_private.outbox');
      await pool.query(`select graphile_worker.complete_jobs(array(select id from graphile_worker.jobs
                          where locked_at is null and task_identifier <> 'payments__follow_up'))`);
      await server.close();
      await stripe.close();
      await postmark?.close();
      await pool.end();
    },
  };
}

/** What the database holds about a booking's payments, refunds and mails (owner view). */
export async function paymentState(pool: pg.Pool, bookingId: string) {
  const { rows } = await pool.query(
    `select b.status, b.ended_reason as "endedReason",
            (select coalesce(json_agg(p.status order by p.created_at), '[]') from app_public.payments p where p.booking_id = b.id) as payments,
            (select coalesce(json_agg(json_build_object('amount', r.amount, 'reason', r.reason, 'status', r.status) order by r.created_at), '[]')
               from app_public.refunds r where r.booking_id = b.id) as refunds,
            (select coalesce(json_agg(m.kind order by m.kind, m.variant), '[]') from app_private.emails m where m.booking_id = b.id) as emails
       from app_public.bookings b where b.id = $1`, [bookingId]);
  return rows[0];
}
