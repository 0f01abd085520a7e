// Payments that land after the hold ran out, and the refunds they owe: tickets still free confirm
// the booking; tickets taken end it expired with exactly one refund, paid once at Stripe however
// often (and however concurrently) the refund job runs, also when Stripe is down for a while.
// Partial refunds are recorded with their amounts. JPY and EUR amounts go to Stripe correctly.
import t from 'tap';
import { issueRefund } from '../../worker/tasks/payments__refund.ts';
import { ageBooking, makeEvent } from '../helpers/db.ts';
import { loginMany } from '../helpers/observe.ts';
import { paymentState, startPaymentStack } from '../helpers/payments.ts';

const stack = await startPaymentStack();
const { server, stripe, pool, deps, withClient } = stack;
t.teardown(() => stack.close());

const refundIds = async (bookingId: string) =>
  (await pool.query<{ id: string }>('select id from app_public.refunds where booking_id = $1 order by created_at', [bookingId])).rows.map((r) => r.id);
const refundCallsFor = (refundId: string) => stripe.requests.filter((r) => r.path === '/v1/refunds' && r.params['metadata[refund_id]'] === refundId);
const stripeRefundsFor = (refundId: string) => [...stripe.refunds.values()].filter((r) => r.metadata.refund_id === refundId);

t.test('paid after the hold ran out, tickets still free: confirmed', async (t) => {
  const event = await makeEvent(pool, { tickets: 1, holdSeconds: 60 });
  const [ann] = await loginMany(server, 1);
  const { bookingId, sessionId } = await stack.holdAndCheckout(ann, event.eventId, event.ticketIds);
  await ageBooking(pool, bookingId, 120);
  const res = await stack.deliver('checkout.session.completed', stripe.pay(sessionId));
  t.equal(res.status, 200);
  t.same(await paymentState(pool, bookingId), { status: 'confirmed', endedReason: null, payments: ['paid'], refunds: [], emails: ['booking_confirmed'] });
});

t.test('paid after the hold ran out, tickets taken: expired, refunded once, buyer told', async (t) => {
  const event = await makeEvent(pool, { tickets: 1, holdSeconds: 60, currency: 'JPY', tiers: [{ name: 'S', amount: 6800 }] });
  const [ann, bob] = await loginMany(server, 2);
  const { bookingId, sessionId } = await stack.holdAndCheckout(ann, event.eventId, event.ticketIds);
  await ageBooking(pool, bookingId, 120);
  const taken = await server.request('POST', '/bookings', { token: bob, body: { eventId: event.eventId, ticketIds: event.ticketIds } });
  t.equal(taken.status, 201, 'someone else holds the ticket now');

  const session = stripe.pay(sessionId);
  // The webhook 5 times and the buyer's confirm, all at once.
  const answers = await Promise.all([
    ...Array.from({ length: 5 }, () => stack.deliver('checkout.session.completed', session)),
    server.request('POST', `/bookings/${bookingId}/confirm`, { token: ann }),
  ]);
  t.same(answers.slice(0, 5).map((a) => a.status), [200, 200, 200, 200, 200]);
  t.equal(answers[5].status, 409, 'the buyer hears that the tickets were taken');
  t.equal(answers[5].body.error.code, 'TICKETS_TAKEN');
  t.same(await paymentState(pool, bookingId), {
    status: 'expired', endedReason: 'tickets_taken', payments: ['paid'],
    refunds: [{ amount: 6800, reason: 'tickets_taken', status: 'pending' }], emails: [],
  }, 'one refund owed, in full');

  const [refundId] = await refundIds(bookingId);
  const outcomes = await Promise.all(Array.from({ length: 4 }, () => issueRefund(withClient, deps, refundId)));
  t.ok(outcomes.every((o) => o === 'succeeded'), 'every run reports the refund done');
  t.equal(await issueRefund(withClient, deps, refundId), 'succeeded', 'and a later retry too');
  t.equal(stripeRefundsFor(refundId).length, 1, 'Stripe paid out once');
  t.equal(stripeRefundsFor(refundId)[0].amount, 6800, 'in whole yen');
  t.ok(refundCallsFor(refundId).every((r) => r.idempotencyKey === `refund:${refundId}`), 'always with the refund\'s own key');
  t.same(await paymentState(pool, bookingId), {
    status: 'expired', endedReason: 'tickets_taken', payments: ['paid'],
    refunds: [{ amount: 6800, reason: 'tickets_taken', status: 'succeeded' }], emails: ['payment_refunded'],
  }, 'refund recorded, refund mail owed');

  // Stripe's own refund webhooks arrive afterwards: nothing moves.
  const refund = stripeRefundsFor(refundId)[0];
  await stack.deliver('refund.updated', { ...refund, status: 'pending' });
  await stack.deliver('charge.refunded', { id: 'ch_test_1', object: 'charge', refunded: true, refunds: { object: 'list', data: [refund] } });
  t.same((await paymentState(pool, bookingId)).refunds, [{ amount: 6800, reason: 'tickets_taken', status: 'succeeded' }]);
});

t.test('a payment for a released booking is recorded and refunded', async (t) => {
  const event = await makeEvent(pool, { tickets: 1 });
  const [ann] = await loginMany(server, 1);
  const { bookingId, sessionId } = await stack.holdAndCheckout(ann, event.eventId, event.ticketIds);
  t.equal((await server.request('DELETE', `/bookings/${bookingId}`, { token: ann })).status, 200);
  const { rows } = await pool.query(`select count(*)::int as n from app_private.outbox where task = 'payments__expire_session' and payload->>'paymentId' = (select id::text from app_public.payments where booking_id = $1)`, [bookingId]);
  t.equal(rows[0].n, 1, 'the release queued the session\'s expiry (outbox row, no job in the release itself)');
  await stack.deliver('checkout.session.completed', stripe.pay(sessionId));
  t.same(await paymentState(pool, bookingId), {
    status: 'cancelled', endedReason: 'cancelled_by_user', payments: ['paid'],
    refunds: [{ amount: 5000, reason: 'booking_cancelled', status: 'pending' }], emails: [],
  });
});

t.test('Stripe down during a refund: the job fails (to be retried), then pays once', async (t) => {
  const event = await makeEvent(pool, { tickets: 1, currency: 'EUR', tiers: [{ name: 'A', amount: 1999 }] });
  const [ann] = await loginMany(server, 1);
  const { bookingId, sessionId } = await stack.holdAndCheckout(ann, event.eventId, event.ticketIds);
  await stack.deliver('checkout.session.completed', stripe.pay(sessionId));
  await server.request('DELETE', `/bookings/${bookingId}`, { token: ann }).catch(() => null);
  const { rows } = await pool.query<{ id: string }>(`select app_private.request_refund(id, 1999) as id from app_public.payments where booking_id = $1`, [bookingId]);
  const refundId = rows[0].id;
  for (const mode of ['error', 'hang'] as const) {
    stripe.mode = mode;
    await t.rejects(issueRefund(withClient, deps, refundId), /Stripe refund failed/, `Stripe ${mode}: the job fails`);
    stripe.mode = 'ok';
    t.same((await paymentState(pool, bookingId)).refunds, [{ amount: 1999, reason: 'requested', status: 'pending' }], 'still owed, nothing lost');
  }
  t.equal(await issueRefund(withClient, deps, refundId), 'succeeded', 'the retry succeeds');
  t.equal(stripeRefundsFor(refundId).length, 1, 'one refund at Stripe');
  t.equal(stripeRefundsFor(refundId)[0].amount, 1999, 'EUR in cents');
  t.equal((await paymentState(pool, bookingId)).status, 'refunded', 'a fully refunded booking is no longer valid');
});

t.test('partial refunds are recorded with their amounts and never exceed the payment', async (t) => {
  const event = await makeEvent(pool, { tickets: 2, tiers: [{ name: 'A', amount: 3000 }] });
  const [ann] = await loginMany(server, 1);
  const { bookingId, sessionId, paymentId } = await stack.holdAndCheckout(ann, event.eventId, event.ticketIds);
  await stack.deliver('checkout.session.completed', stripe.pay(sessionId));
  const first = (await pool.query<{ id: string }>('select app_private.request_refund($1, 1000) as id', [paymentId])).rows[0].id;
  await issueRefund(withClient, deps, first);
  const second = (await pool.query<{ id: string }>('select app_private.request_refund($1, 2000) as id', [paymentId])).rows[0].id;
  await t.rejects(pool.query('select app_private.request_refund($1, 4000)', [paymentId]), { code: 'BXRFD' }, 'more than is left is refused');
  await issueRefund(withClient, deps, second);
  const state = await paymentState(pool, bookingId);
  t.same(state.refunds, [{ amount: 1000, reason: 'requested', status: 'succeeded' }, { amount: 2000, reason: 'requested', status: 'succeeded' }]);
  t.equal(state.status, 'confirmed', 'partly refunded stays confirmed');
  const rest = (await pool.query<{ id: string }>('select app_private.request_refund($1, 3000) as id', [paymentId])).rows[0].id;
  await issueRefund(withClient, deps, rest);
  t.equal((await paymentState(pool, bookingId)).status, 'refunded', 'refunded in full (10 + 20 + 30 of 60): no longer valid');
  await t.rejects(pool.query('select app_private.request_refund($1, 1)', [paymentId]), { code: 'BXRFD' }, 'and nothing more can be refunded');
});

t.test('a refund Stripe leaves pending is looked up again (not made again) until it settles', async (t) => {
  const event = await makeEvent(pool, { tickets: 1 });
  const [ann] = await loginMany(server, 1);
  const { bookingId, sessionId, paymentId } = await stack.holdAndCheckout(ann, event.eventId, event.ticketIds);
  await stack.deliver('checkout.session.completed', stripe.pay(sessionId));
  const refundId = (await pool.query<{ id: string }>('select app_private.request_refund($1, 2500) as id', [paymentId])).rows[0].id;
  stripe.refundStatus = 'pending';
  await t.rejects(issueRefund(withClient, deps, refundId), /still pending/, 'the job fails so that it runs again later');
  stripe.refundStatus = 'succeeded';
  await t.rejects(issueRefund(withClient, deps, refundId), /still pending/, 'looked up again: still pending at Stripe');
  stripeRefundsFor(refundId)[0].status = 'succeeded';
  t.equal(await issueRefund(withClient, deps, refundId), 'succeeded', 'settled once Stripe says so');
  t.equal(stripeRefundsFor(refundId).length, 1, 'one refund at Stripe all along');
  t.same((await paymentState(pool, bookingId)).refunds, [{ amount: 2500, reason: 'requested', status: 'succeeded' }]);
});
