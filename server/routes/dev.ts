// Development-only helpers: a token issuer (POST /dev/login) and the `dev` payment provider's local
// checkout page, whose Pay button records the payment exactly as a provider's webhook would.
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';
import { withSettings } from '../../lib/db.ts';
import { applyPaymentEvent } from '../../lib/payments/events.ts';
import { ApiError } from '../errors.ts';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function devRoutes(app: FastifyInstance, ctx: ServerContext) {
  app.post<{ Body: { email: string; name?: string } }>('/dev/login', {
    schema: {
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['email'],
        properties: {
          email: { type: 'string', format: 'email', maxLength: 254 },
          name: { type: 'string', minLength: 1, maxLength: 200 },
        },
      },
    },
  }, async (request) => {
    const email = request.body.email.toLowerCase();
    // The development issuer's subject is the email address: one user per address.
    const token = app.jwt.sign({ sub: email, email, name: request.body.name ?? email });
    return { token, tokenType: 'Bearer', expiresIn: 12 * 3600 };
  });

  const paymentParams = {
    type: 'object',
    required: ['paymentId'],
    properties: { paymentId: { type: 'string', format: 'uuid' } },
  } as const;

  app.get<{ Params: { paymentId: string } }>('/dev/checkout/:paymentId', { schema: { params: paymentParams } }, async (request, reply) => {
    const { rows } = await ctx.pool.query('select * from app_private.checkout_summary($1)', [request.params.paymentId]);
    if (!rows.length) throw new ApiError(404, 'PAYMENT_NOT_FOUND', 'No such payment.');
    const p = rows[0];
    const button = p.status === 'pending'
      ? `<form method="post" action="/dev/checkout/${request.params.paymentId}/pay"><button type="submit">Pay</button></form>`
      : `<p>This payment is ${escapeHtml(p.status)}.</p>`;
    return reply.type('text/html; charset=utf-8').send(`<!doctype html><meta charset="utf-8"><title>Boxoffice dev checkout</title>
<h1>Dev checkout</h1><p>${escapeHtml(p.event_title)}</p><p>Amount: ${p.amount} (minor units of ${escapeHtml(p.currency)})</p>${button}`);
  });

  app.post<{ Params: { paymentId: string } }>('/dev/checkout/:paymentId/pay', { schema: { params: paymentParams } }, async (request, reply) => {
    // The same internal event a Stripe webhook produces (lib/payments/events.ts).
    const booking = (await withSettings(ctx.pool, {}, (client) =>
      applyPaymentEvent(client, { kind: 'payment_succeeded', paymentId: request.params.paymentId })))!;
    const message = booking.status === 'confirmed' ? 'Paid. Your booking is confirmed.' : `Paid, but the booking is ${booking.status}; the payment will be refunded in full.`;
    if ((request.headers.accept ?? '').includes('application/json')) return { bookingStatus: booking.status, endedReason: booking.endedReason };
    return reply.type('text/html; charset=utf-8').send(`<!doctype html><meta charset="utf-8"><title>Boxoffice dev checkout</title><p>${escapeHtml(message)}</p>`);
  });

  // Mail the dev mailer "sent": newest first. JSON for tests and scripts, a plain page for people.
  app.get<{ Querystring: { limit?: number } }>('/dev/mail', {
    schema: { querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 200 } } } },
  }, async (request, reply) => {
    const { rows } = await ctx.pool.query('select * from app_private.dev_mail($1)', [request.query.limit ?? 50]);
    const items = rows.map((m) => ({ id: m.id, kind: m.kind, bookingId: m.booking_id, to: m.recipient, subject: m.subject,
      text: m.text_body, sentAt: m.sent_at.toISOString() }));
    if ((request.headers.accept ?? '').includes('text/html')) {
      return reply.type('text/html; charset=utf-8').send(`<!doctype html><meta charset="utf-8"><title>Boxoffice dev mail</title><h1>Dev mail</h1>`
        + items.map((m) => `<h2>${escapeHtml(m.subject ?? '')}</h2><p>To ${escapeHtml(m.to ?? '')}, ${m.sentAt}</p><pre>${escapeHtml(m.text ?? '')}</pre>`).join(''));
    }
    return { items };
  });
}
