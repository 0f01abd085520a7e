// Payment steps of the booking routes: open (or reopen) a checkout session at the provider, and ask
// the provider about a booking's payments when the buyer comes back from checkout.
import type { FastifyRequest } from 'fastify';
import { applyPaymentEvent } from '../lib/payments/events.ts';
import { gatewayFor } from '../lib/payments/gateway.ts';
import { withSettings } from '../lib/db.ts';
import type { ServerContext } from './context.ts';

export interface CheckoutAnswer {
  paymentId: string;
  provider: string;
  checkoutUrl: string;
  expiresAt: string;
}

/**
 * start_checkout records (or returns) the open payment attempt, and schedules its follow-up job, in
 * one transaction; then the provider's session is created outside it, keyed by the payment id, so a
 * repeat or a concurrent call gets the same session. A provider that is down answers 502 and leaves
 * the attempt open for the next try.
 */
export async function openCheckout(ctx: ServerContext, request: FastifyRequest, bookingId: string): Promise<CheckoutAnswer> {
  const payment = await ctx.asCaller(request, async (client) => (await client.query<{ id: string }>(
    'select p.id from app_public.start_checkout($1) p', [bookingId])).rows[0]);
  const info = (await ctx.pool.query('select * from app_private.payment_info($1)', [payment.id])).rows[0];
  const answer = (url: string) => ({ paymentId: info.id, provider: info.provider, checkoutUrl: url, expiresAt: info.expires_at.toISOString() });
  if (info.checkout_url) return answer(info.checkout_url);

  const { rows: items } = await ctx.pool.query('select * from app_private.checkout_line_items($1)', [payment.id]);
  const back = `${ctx.config.publicUrl}/bookings/${info.booking_id}`;
  const session = await gatewayFor(ctx.gateways, info.provider).createCheckout({
    paymentId: info.id,
    bookingId: info.booking_id,
    currency: info.currency,
    lineItems: items.map((i) => ({ name: i.name, unitAmount: i.unit_amount, quantity: i.quantity })),
    customerEmail: info.buyer_email,
    expiresAt: info.expires_at,
    createdAt: info.created_at,
    successUrl: `${back}?checkout=success`,
    cancelUrl: `${back}?checkout=cancelled`,
  });
  await ctx.pool.query('select app_private.set_payment_refs($1, $2, $3)', [info.id, session.ref, session.url]);
  return answer(session.url);
}

/**
 * Before confirming, asks the provider about each of the caller's unpaid attempts that has a session
 * (the webhook may be late or lost) and records a payment it reports, through the same path as the
 * webhook. Whichever of the two comes first confirms; the other finds the payment paid.
 */
export async function syncPaymentsFromProvider(ctx: ServerContext, request: FastifyRequest, bookingId: string): Promise<void> {
  const attempts = await ctx.asCaller(request, async (client) => (await client.query<{ id: string; provider: string }>(
    `select p.id, p.provider from app_public.payments p
      where p.booking_id = $1 and p.status <> 'paid' and p.provider <> 'dev' order by p.created_at desc`, [bookingId])).rows);
  for (const attempt of attempts) {
    const info = (await ctx.pool.query('select * from app_private.payment_info($1)', [attempt.id])).rows[0];
    if (!info.provider_ref) continue;
    const state = await gatewayFor(ctx.gateways, attempt.provider).getSession(info.provider_ref);
    if (!state.paid) continue;
    await withSettings(ctx.pool, {}, (client) =>
      applyPaymentEvent(client, { kind: 'payment_succeeded', paymentId: attempt.id, paymentRef: state.paymentRef }));
  }
}
