// POST /webhooks/stripe: Stripe's events, signature-checked on the raw body. Each event id is stored
// once (app_private.webhook_events) in the same transaction as its effect: a redelivery finds its id
// taken and changes nothing, and a failure stores nothing, so Stripe's retry applies it later.
import type { FastifyInstance } from 'fastify';
import { withSettings } from '../../lib/db.ts';
import { applyPaymentEvent, fromStripeEvent } from '../../lib/payments/events.ts';
import type { ServerContext } from '../context.ts';
import { ApiError } from '../errors.ts';

export async function webhookRoutes(app: FastifyInstance, ctx: ServerContext) {
  const stripe = ctx.gateways.stripe;
  if (!stripe) return;
  await app.register(async (scope) => {
    // Only in this scope: the body stays the exact bytes Stripe signed, whatever its content type.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_request, body, done) => done(null, body));

    scope.post('/webhooks/stripe', async (request) => {
      const signature = request.headers['stripe-signature'];
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      let event;
      try {
        event = stripe.parseWebhook(raw, typeof signature === 'string' ? signature : undefined);
      } catch {
        throw new ApiError(400, 'INVALID_SIGNATURE', 'The Stripe-Signature header is missing or does not match the body.');
      }
      const applied = await withSettings(ctx.pool, {}, async (client) => {
        const fresh = (await client.query<{ fresh: boolean }>('select app_private.record_webhook_event($1, $2, $3, $4) as fresh',
          [event.id, 'stripe', event.type, raw.toString('utf8')])).rows[0].fresh;
        if (!fresh) return false;
        for (const internal of await fromStripeEvent(client, event)) await applyPaymentEvent(client, internal);
        return true;
      });
      return { received: true, duplicate: !applied };
    });
  });
}
