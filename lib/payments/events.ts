// Provider events in one internal shape, and the one place that applies them to the database. A
// Stripe webhook, the dev checkout's Pay button, POST /bookings/:id/confirm and the follow-up job all
// end here, so "whichever comes first confirms, the other is a no-op" holds for every path.
import type pg from 'pg';
import type Stripe from 'stripe';
import { refundStatus } from './stripe.ts';

export type PaymentEvent =
  | { kind: 'payment_succeeded'; paymentId: string; paymentRef?: string | null }
  | { kind: 'payment_failed' | 'payment_expired'; paymentId: string }
  | { kind: 'refund_updated'; refundId: string; status: 'pending' | 'succeeded' | 'failed'; refundRef: string };

type Queryable = Pick<pg.PoolClient, 'query'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const uuidOrNull = (value: unknown) => (typeof value === 'string' && UUID.test(value) ? value : null);

/**
 * Applies one event; stale ones (a failure after success, a repeat) change nothing. For a payment
 * that succeeded, returns where its booking ended up (confirmed, or expired/cancelled with a refund).
 */
export async function applyPaymentEvent(db: Queryable, event: PaymentEvent): Promise<{ status: string; endedReason: string | null } | void> {
  switch (event.kind) {
    case 'payment_succeeded': {
      if (event.paymentRef) {
        await db.query('select app_private.set_payment_refs($1, provider_payment_ref => $2)', [event.paymentId, event.paymentRef]);
      }
      const { rows } = await db.query<{ status: string; endedReason: string | null }>(
        'select b.status, b.ended_reason as "endedReason" from app_private.record_payment_succeeded($1) b', [event.paymentId]);
      return rows[0];
    }
    case 'payment_failed':
    case 'payment_expired':
      await db.query('select app_private.record_payment_ended($1, $2)', [event.paymentId, event.kind === 'payment_failed' ? 'failed' : 'expired']);
      return;
    case 'refund_updated':
      await db.query('select app_private.record_refund_result($1, $2, $3)', [event.refundId, event.status, event.refundRef]);
      return;
  }
}

async function paymentIdFor(db: Queryable, session: Stripe.Checkout.Session): Promise<string | null> {
  const { rows } = await db.query<{ id: string | null }>('select app_private.payment_for_provider_ref($1) as id', [session.id]);
  // A session whose id we failed to store (crash right after creating it) still names our payment.
  return rows[0].id ?? uuidOrNull(session.metadata?.payment_id);
}

async function refundIdFor(db: Queryable, refund: Stripe.Refund): Promise<string | null> {
  const { rows } = await db.query<{ id: string | null }>('select app_private.refund_for_provider_ref($1) as id', [refund.id]);
  // A refund whose create call timed out after Stripe made it is known by our id in its metadata.
  return rows[0].id ?? uuidOrNull(refund.metadata?.refund_id);
}

/** The internal events a Stripe event stands for; events about objects we did not create map to none. */
export async function fromStripeEvent(db: Queryable, event: Stripe.Event): Promise<PaymentEvent[]> {
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      const session = event.data.object;
      const paymentId = await paymentIdFor(db, session);
      // completed with payment_status "unpaid" is a delayed method still in flight: wait for async_*.
      if (!paymentId || session.payment_status === 'unpaid') return [];
      const intent = session.payment_intent;
      return [{ kind: 'payment_succeeded', paymentId, paymentRef: typeof intent === 'string' ? intent : intent?.id ?? null }];
    }
    case 'checkout.session.async_payment_failed':
    case 'checkout.session.expired': {
      const paymentId = await paymentIdFor(db, event.data.object);
      if (!paymentId) return [];
      return [{ kind: event.type === 'checkout.session.expired' ? 'payment_expired' : 'payment_failed', paymentId }];
    }
    case 'charge.refunded': {
      const refunds = event.data.object.refunds?.data ?? [];
      const out: PaymentEvent[] = [];
      for (const refund of refunds) {
        const refundId = await refundIdFor(db, refund);
        if (refundId) out.push({ kind: 'refund_updated', refundId, status: refundStatus(refund.status), refundRef: refund.id });
      }
      return out;
    }
    case 'refund.created':
    case 'refund.updated':
    case 'refund.failed': {
      const refund = event.data.object;
      const refundId = await refundIdFor(db, refund);
      return refundId ? [{ kind: 'refund_updated', refundId, status: refundStatus(refund.status), refundRef: refund.id }] : [];
    }
    default:
      return [];
  }
}
