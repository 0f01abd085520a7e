// Payments no webhook told us about, and sessions left open: the follow-up job asks Stripe (a paid
// order is never left pending), and the hold sweep closes the session of a hold that ran out and
// queues its follow-up work in one batch, never from the hold path itself.
import t from 'tap';
import { expireSession } from '../../worker/tasks/payments__expire_session.ts';
import { followUpPayment } from '../../worker/tasks/payments__follow_up.ts';
import { ageBooking, makeEvent } from '../helpers/db.ts';
import { loginMany } from '../helpers/observe.ts';
import { paymentState, startPaymentStack } from '../helpers/payments.ts';

const stack = await startPaymentStack();
const { server, stripe, pool, deps, withClient } = stack;
t.teardown(() => stack.close());

t.test('a lost webhook: the follow-up finds the session paid and confirms', async (t) => {
  const event = await makeEvent(pool, { tickets: 1 });
  const [ann] = await loginMany(server, 1);
  const { bookingId, paymentId, sessionId } = await stack.holdAndCheckout(ann, event.eventId, event.ticketIds);
  stripe.pay(sessionId);
  t.equal(await followUpPayment(withClient, deps, paymentId), 'paid');
  t.same(await paymentState(pool, bookingId), { status: 'confirmed', endedReason: null, payments: ['paid'], refunds: [], emails: ['booking_confirmed'] });
  t.equal(await followUpPayment(withClient, deps, paymentId), 'paid', 'running it again changes nothing');
});

t.test('never paid: the follow-up closes the open session and the attempt', async (t) => {
  const event = await makeEvent(pool, { tickets: 1, holdSeconds: 60 });
  const [ann] = await loginMany(server, 1);
  const { bookingId, paymentId, sessionId } = await stack.holdAndCheckout(ann, event.eventId, event.ticketIds);
  await ageBooking(pool, bookingId, 3600);
  t.equal(await followUpPayment(withClient, deps, paymentId), 'expired');
  t.equal(stripe.sessions.get(sessionId)!.status, 'expired', 'Stripe will take no money for it');
  t.same((await paymentState(pool, bookingId)).payments, ['expired']);
});

t.test('Stripe down during the follow-up: the job fails (retried later), nothing changes', async (t) => {
  const event = await makeEvent(pool, { tickets: 1 });
  const [ann] = await loginMany(server, 1);
  const { bookingId, paymentId, sessionId } = await stack.holdAndCheckout(ann, event.eventId, event.ticketIds);
  stripe.pay(sessionId);
  stripe.mode = 'error';
  await t.rejects(followUpPayment(withClient, deps, paymentId), /Stripe/);
  stripe.mode = 'ok';
  t.same((await paymentState(pool, bookingId)).payments, ['pending']);
  t.equal(await followUpPayment(withClient, deps, paymentId), 'paid', 'the retry confirms');
});

t.test('the sweep expires a hold, closes its payment and queues session expiry and a mail in one batch', async (t) => {
  const event = await makeEvent(pool, { tickets: 2, holdSeconds: 60 });
  const [ann, bob] = await loginMany(server, 2);
  const withCheckout = await stack.holdAndCheckout(ann, event.eventId, [event.ticketIds[0]]);
  const plain = await server.request('POST', '/bookings', { token: bob, body: { eventId: event.eventId, ticketIds: [event.ticketIds[1]] } });
  await ageBooking(pool, withCheckout.bookingId, 120);
  await ageBooking(pool, plain.body.id, 120);
  await pool.query('select app_private.expire_bookings(now(), 100000)');
  const jobs = await pool.query<{ task_identifier: string }>(
    `select task_identifier from graphile_worker.jobs where key in ('payments__expire_session:' || $1::text,
        'emails__send:' || (select id::text from app_private.emails where booking_id = $2 and kind = 'hold_expired'))
      order by 1`, [withCheckout.paymentId, withCheckout.bookingId]);
  t.same(jobs.rows.map((r) => r.task_identifier), ['emails__send', 'payments__expire_session']);
  t.same(await paymentState(pool, withCheckout.bookingId), { status: 'expired', endedReason: 'hold_expired', payments: ['expired'], refunds: [], emails: ['hold_expired'] });
  t.same((await paymentState(pool, plain.body.id)).emails, [], 'a hold that never reached checkout gets no mail');

  t.equal(await expireSession(withClient, deps, withCheckout.paymentId), 'expired');
  t.equal(stripe.sessions.get(withCheckout.sessionId)!.status, 'expired');
});

t.test('a session paid just before the expiry job runs: recorded as a late payment', async (t) => {
  const event = await makeEvent(pool, { tickets: 1, holdSeconds: 60 });
  const [ann] = await loginMany(server, 1);
  const { bookingId, paymentId, sessionId } = await stack.holdAndCheckout(ann, event.eventId, event.ticketIds);
  await ageBooking(pool, bookingId, 120);
  await pool.query('select app_private.expire_bookings(now(), 100000)');
  stripe.pay(sessionId);
  t.equal(await expireSession(withClient, deps, paymentId), 'paid');
  t.equal((await paymentState(pool, bookingId)).status, 'confirmed', 'the tickets were still free');
});
