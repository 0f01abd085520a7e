// POST /bookings/:id/checkout with the Stripe provider: the real stripe SDK against a fake Stripe.
// One session per attempt (repeat and concurrent calls), the amounts Stripe gets for two-decimal and
// zero-decimal currencies, and a provider that is down or silent: a clear 502, nothing stored twice.
import t from 'tap';
import { makeEvent } from '../../helpers/db.ts';
import { loginMany } from '../../helpers/observe.ts';
import { paymentState, startPaymentStack } from '../../helpers/payments.ts';

const stack = await startPaymentStack();
const { server, stripe, pool } = stack;
t.teardown(() => stack.close());

const sessionCreates = () => stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions');

t.test('checkout opens one Stripe session with the booking\'s line items, reference, metadata and key', async (t) => {
  const event = await makeEvent(pool, { tickets: 3, currency: 'EUR', tiers: [{ name: 'Front', amount: 4550 }, { name: 'Back', amount: 2000 }] });
  const [ann] = await loginMany(server, 1);
  const before = sessionCreates().length;
  const hold = await server.request('POST', '/bookings', { token: ann, body: { eventId: event.eventId, ticketIds: event.ticketIds } });
  const res = await server.request('POST', `/bookings/${hold.body.id}/checkout`, { token: ann });
  t.equal(res.status, 200);
  t.equal(res.body.provider, 'stripe');
  t.match(res.body.checkoutUrl, /^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_test_/);
  const [create] = sessionCreates().slice(before);
  t.equal(create.idempotencyKey, `checkout:${res.body.paymentId}`, 'keyed by the payment attempt');
  t.equal(create.params.client_reference_id, hold.body.id);
  t.equal(create.params['metadata[payment_id]'], res.body.paymentId);
  t.equal(create.params.mode, 'payment');
  const items = [0, 1].map((i) => ({ name: create.params[`line_items[${i}][price_data][product_data][name]`],
    amount: Number(create.params[`line_items[${i}][price_data][unit_amount]`]), quantity: Number(create.params[`line_items[${i}][quantity]`]),
    currency: create.params[`line_items[${i}][price_data][currency]`] }));
  t.same(items.map((i) => [i.amount, i.quantity, i.currency]).sort(), [[2000, 1, 'eur'], [4550, 2, 'eur']], 'EUR cents as they are');
  const expiresIn = Number(create.params.expires_at) - Date.now() / 1000;
  t.ok(expiresIn > 30 * 60 && expiresIn < 24 * 3600, `expires_at within Stripe's 30 min..24 h (${Math.round(expiresIn)} s)`);

  const again = await server.request('POST', `/bookings/${hold.body.id}/checkout`, { token: ann });
  t.same(again.body, res.body, 'a second call returns the same open session');
  t.equal(sessionCreates().length, before + 1, 'and asks Stripe for nothing new');
});

t.test('JPY is sent to Stripe in whole yen (zero-decimal)', async (t) => {
  const event = await makeEvent(pool, { tickets: 2, currency: 'JPY', tiers: [{ name: 'S', amount: 6800 }] });
  const [ann] = await loginMany(server, 1);
  const { sessionId } = await stack.holdAndCheckout(ann, event.eventId, event.ticketIds);
  const create = sessionCreates().find((r) => r.params.client_reference_id && stripe.sessions.get(sessionId)?.client_reference_id === r.params.client_reference_id)!;
  t.equal(create.params['line_items[0][price_data][unit_amount]'], '6800');
  t.equal(create.params['line_items[0][price_data][currency]'], 'jpy');
  t.equal(stripe.sessions.get(sessionId)!.amount_total, 13600, '2 x 6800 yen, not 136.00');
});

t.test('concurrent checkout calls for one booking make one Stripe session', async (t) => {
  const event = await makeEvent(pool, { tickets: 1 });
  const [ann] = await loginMany(server, 1);
  const hold = await server.request('POST', '/bookings', { token: ann, body: { eventId: event.eventId, ticketIds: event.ticketIds } });
  const answers = await Promise.all(Array.from({ length: 8 }, () => server.request('POST', `/bookings/${hold.body.id}/checkout`, { token: ann })));
  t.same(new Set(answers.map((a) => a.status)), new Set([200]));
  t.equal(new Set(answers.map((a) => a.body.checkoutUrl)).size, 1, 'every caller gets the same URL');
  const sessions = [...stripe.sessions.values()].filter((s) => s.client_reference_id === hold.body.id);
  t.equal(sessions.length, 1, 'Stripe holds one session for the booking');
  t.same((await paymentState(pool, hold.body.id)).payments, ['pending'], 'and we hold one payment attempt');
});

for (const mode of ['error', 'hang'] as const) {
  t.test(`Stripe ${mode === 'error' ? 'answering 500' : 'not answering'} at checkout: 502, then a retry opens one session`, async (t) => {
    const event = await makeEvent(pool, { tickets: 1 });
    const [ann] = await loginMany(server, 1);
    const hold = await server.request('POST', '/bookings', { token: ann, body: { eventId: event.eventId, ticketIds: event.ticketIds } });
    stripe.mode = mode;
    const down = await server.request('POST', `/bookings/${hold.body.id}/checkout`, { token: ann });
    stripe.mode = 'ok';
    t.equal(down.status, 502);
    t.equal(down.body.error.code, 'PAYMENT_PROVIDER_UNAVAILABLE');
    t.same((await paymentState(pool, hold.body.id)).payments, ['pending'], 'the attempt is kept for the retry');
    const retry = await server.request('POST', `/bookings/${hold.body.id}/checkout`, { token: ann });
    t.equal(retry.status, 200);
    const keys = sessionCreates().filter((r) => r.params.client_reference_id === hold.body.id).map((r) => r.idempotencyKey);
    t.equal(new Set(keys).size, 1, 'every try used the same idempotency key');
    t.equal([...stripe.sessions.values()].filter((s) => s.client_reference_id === hold.body.id).length, 1, 'one session at Stripe');
    t.same((await paymentState(pool, hold.body.id)).payments, ['pending'], 'one payment attempt');
  });
}

t.test('the follow-up job is scheduled with the payment, after the attempt should have ended', async (t) => {
  const event = await makeEvent(pool, { tickets: 1 });
  const [ann] = await loginMany(server, 1);
  const { paymentId } = await stack.holdAndCheckout(ann, event.eventId, event.ticketIds);
  const { rows } = await pool.query(
    `select j.run_at > p.expires_at as "afterExpiry" from graphile_worker.jobs j, app_public.payments p
      where j.key = 'payments__follow_up:' || p.id and p.id = $1`, [paymentId]);
  t.same(rows, [{ afterExpiry: true }]);
});
