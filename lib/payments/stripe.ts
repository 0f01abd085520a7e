// Stripe through the official SDK: Checkout Sessions, their expiry, refunds, webhook signatures.
// Every write carries an idempotency key derived from our row id, so retries never double anything.
import Stripe from 'stripe';
import type { Config } from '../config.ts';
import { toStripeAmount } from '../money.ts';
import { ProviderError, type PaymentGateway, type SessionState } from './gateway.ts';

// Stripe accepts expires_at from 30 minutes to 24 hours after the request. It is computed from the
// payment's creation (not from now) so that a retried request repeats the same parameters, as an
// idempotent replay must; the margin lets retries come up to 10 minutes later.
const MIN_SESSION_SECONDS = 40 * 60;
const MAX_SESSION_SECONDS = 24 * 3600 - 60;

export interface StripeGateway extends PaymentGateway {
  /** Verifies a webhook's signature against the raw body; throws when it does not match. */
  parseWebhook(rawBody: Buffer, signature: string | undefined): Stripe.Event;
}

export function stripeClient(config: Config): Stripe {
  const { secretKey, host, port, protocol, timeoutMs } = config.stripe;
  if (!secretKey) throw new Error('STRIPE_SECRET_KEY is not set');
  return new Stripe(secretKey, {
    // Retries belong to our jobs (which keep the idempotency key), not to a request a client waits on.
    maxNetworkRetries: 0,
    timeout: timeoutMs,
    ...(host ? { host } : {}),
    ...(port ? { port } : {}),
    ...(protocol ? { protocol } : {}),
  });
}

function stateOf(session: Stripe.Checkout.Session): SessionState {
  const intent = session.payment_intent;
  return {
    status: session.status === 'complete' ? 'complete' : session.status === 'expired' ? 'expired' : 'open',
    paid: session.payment_status === 'paid' || session.payment_status === 'no_payment_required',
    paymentRef: typeof intent === 'string' ? intent : intent?.id ?? null,
  };
}

/** Network failures, timeouts, 5xx and rate limits: worth retrying. Anything else is a bug or bad data. */
async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new ProviderError('stripe', `Stripe ${what} failed: ${(err as Error).message}`, { cause: err });
  }
}

export function stripeGateway(config: Config): StripeGateway {
  const stripe = stripeClient(config);
  const webhookSecret = config.stripe.webhookSecret;
  return {
    provider: 'stripe',
    async createCheckout(request) {
      const now = Math.floor(request.createdAt.getTime() / 1000);
      const wanted = Math.floor(request.expiresAt.getTime() / 1000);
      const expiresAt = Math.min(Math.max(wanted, now + MIN_SESSION_SECONDS), now + MAX_SESSION_SECONDS);
      const session = await call('checkout', () => stripe.checkout.sessions.create({
        mode: 'payment',
        client_reference_id: request.bookingId,
        metadata: { booking_id: request.bookingId, payment_id: request.paymentId },
        payment_intent_data: { metadata: { booking_id: request.bookingId, payment_id: request.paymentId } },
        line_items: request.lineItems.map((item) => ({
          quantity: item.quantity,
          price_data: {
            currency: request.currency.toLowerCase(),
            unit_amount: toStripeAmount(item.unitAmount, request.currency),
            product_data: { name: item.name },
          },
        })),
        ...(request.customerEmail ? { customer_email: request.customerEmail } : {}),
        expires_at: expiresAt,
        success_url: request.successUrl,
        cancel_url: request.cancelUrl,
      }, {
        // One session per payment attempt, whoever asks and however often. Stripe keeps keys for 24 h.
        idempotencyKey: `checkout:${request.paymentId}`,
      }));
      if (!session.url) throw new ProviderError('stripe', 'Stripe returned a checkout session without a URL');
      return { ref: session.id, url: session.url };
    },
    async getSession(ref) {
      return stateOf(await call('session lookup', () => stripe.checkout.sessions.retrieve(ref)));
    },
    async expireSession(ref) {
      const session = await call('session lookup', () => stripe.checkout.sessions.retrieve(ref));
      if (session.status !== 'open') return stateOf(session);
      try {
        return stateOf(await stripe.checkout.sessions.expire(ref, {}, { idempotencyKey: `expire:${ref}` }));
      } catch (err) {
        // Paid (or expired) between our look and the expiry: report what it is now.
        const again = await call('session lookup', () => stripe.checkout.sessions.retrieve(ref));
        if (again.status !== 'open') return stateOf(again);
        throw new ProviderError('stripe', `Stripe session expiry failed: ${(err as Error).message}`, { cause: err });
      }
    },
    async refund(request) {
      let paymentRef = request.paymentRef;
      if (!paymentRef && request.sessionRef) paymentRef = (await this.getSession(request.sessionRef)).paymentRef;
      if (!paymentRef) throw new ProviderError('stripe', `no PaymentIntent known for refund ${request.refundId}`);
      const refund = await call('refund', () => stripe.refunds.create({
        payment_intent: paymentRef,
        amount: toStripeAmount(request.amount, request.currency),
        metadata: { refund_id: request.refundId },
      }, { idempotencyKey: `refund:${request.refundId}` }));
      return { ref: refund.id, status: refundStatus(refund.status) };
    },
    async getRefund(ref) {
      const refund = await call('refund lookup', () => stripe.refunds.retrieve(ref));
      return { ref: refund.id, status: refundStatus(refund.status) };
    },
    parseWebhook(rawBody, signature) {
      if (!webhookSecret) throw new Error('STRIPE_WEBHOOK_SECRET is not set');
      if (!signature) throw new Error('no Stripe-Signature header');
      return stripe.webhooks.constructEvent(rawBody, signature, webhookSecret);
    },
  };
}

/** Stripe's refund statuses in ours: succeeded, failed (failed, canceled), or still pending. */
export function refundStatus(status: string | null | undefined): 'pending' | 'succeeded' | 'failed' {
  if (status === 'succeeded') return 'succeeded';
  if (status === 'failed' || status === 'canceled') return 'failed';
  return 'pending';
}
