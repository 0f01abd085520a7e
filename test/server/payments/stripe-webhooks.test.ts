// POST /webhooks/stripe through the real stripe SDK's signature check, with payloads built on
// Stripe's published object shapes (../shared/data/stripe-fixtures.json) and on our own small ones.
// Bad signatures store nothing; each event id counts once; events out of order or repeated end in the
// same state; the buyer's redirect-confirm racing the webhook confirms once and owes one mail.
import t from 'tap';
import { FIXTURES_PATH, havePublishedFixtures, useShapes, type ShapeSource } from '../../fakes/stripe-fixtures.ts';
import { makeEvent } from '../../helpers/db.ts';
import { loginMany } from '../../helpers/observe.ts';
import { paymentState, startPaymentStack } from '../../helpers/payments.ts';

const stack = await startPaymentStack();
const { server, stripe, pool } = stack;
t.teardown(() => stack.close());

const storedEvents = async (ids: string[]) =>
  (await pool.query<{ n: number }>('select count(*)::int as n from app_private.webhook_events where id = any($1)', [ids])).rows[0].n;

async function paidSession(token: string, tickets = 1, currency = 'EUR', amount = 5000) {
  const event = await makeEvent(pool, { tickets, currency, tiers: [{ name: 'Standard', amount }] });
  const checkout = await stack.holdAndCheckout(token, event.eventId, event.ticketIds);
  return { ...checkout, event, session: stripe.pay(checkout.sessionId) };
}

t.test('a missing or wrong signature is refused with 400 and stores nothing', async (t) => {
  const [ann] = await loginMany(server, 1);
  const { session, bookingId } = await paidSession(ann);
  const good = await stack.deliver('checkout.session.completed', session);
  t.equal(good.status, 200, 'control: a signed delivery is accepted');
  const body = JSON.stringify({ id: 'evt_forged_1', type: 'checkout.session.completed', data: { object: session } });
  const cases: Array<[string, Record<string, string>]> = [
    ['no header', {}],
    ['garbage header', { 'stripe-signature': 'nonsense' }],
    ['signed with another secret', { 'stripe-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` }],
  ];
  for (const [name, headers] of cases) {
    const res = await server.request('POST', '/webhooks/stripe', { body, headers });
    t.equal(res.status, 400, name);
    t.equal(res.body.error.code, 'INVALID_SIGNATURE', name);
  }
  t.equal(await storedEvents(['evt_forged_1']), 0, 'no forged event stored');
  t.equal((await paymentState(pool, bookingId)).status, 'confirmed');
});

const shapes: ShapeSource[] = ['own', 'published'];
for (const shape of shapes) {
  const skip = shape === 'published' && !havePublishedFixtures() ? `Stripe's published fixtures are absent (${FIXTURES_PATH}); the own shapes cover the same paths` : false;
  t.test(`with ${shape} object shapes`, { skip }, async (t) => {
    useShapes(shape);
    t.teardown(() => useShapes('published'));

    t.test('checkout.session.completed confirms; the same event delivered 5 times changes nothing more', async (t) => {
      const [ann] = await loginMany(server, 1);
      const { session, bookingId } = await paidSession(ann);
      const first = await stack.deliver('checkout.session.completed', session);
      const repeats = await Promise.all(Array.from({ length: 4 }, () => stack.deliver('checkout.session.completed', session, first.eventId)));
      t.same([first, ...repeats].map((r) => r.status), [200, 200, 200, 200, 200]);
      t.equal(repeats.filter((r) => r.body.duplicate).length, 4, 'four recognised as duplicates');
      t.equal(await storedEvents([first.eventId]), 1, 'the event is stored once');
      t.same(await paymentState(pool, bookingId), { status: 'confirmed', endedReason: null, payments: ['paid'], refunds: [], emails: ['booking_confirmed'] });
    });

    t.test('events in reverse order (expired, failed, then completed) end as in order', async (t) => {
      const [ann, bob] = await loginMany(server, 2);
      const inOrder = await paidSession(ann);
      const reversed = await paidSession(bob);
      const sequence = (s: Record<string, unknown>): Array<[string, Record<string, unknown>]> => [
        ['checkout.session.completed', s],
        ['checkout.session.async_payment_failed', { ...s, payment_status: 'unpaid' }],
        ['checkout.session.expired', { ...s, status: 'expired', payment_status: 'unpaid' }],
      ];
      for (const [type, object] of sequence(inOrder.session)) t.equal((await stack.deliver(type, object)).status, 200);
      for (const [type, object] of sequence(reversed.session).reverse()) t.equal((await stack.deliver(type, object)).status, 200);
      const a = await paymentState(pool, inOrder.bookingId);
      const b = await paymentState(pool, reversed.bookingId);
      t.same(b, a, 'the same end state');
      t.same(a, { status: 'confirmed', endedReason: null, payments: ['paid'], refunds: [], emails: ['booking_confirmed'] });
    });

    t.test('a completed session still unpaid (delayed method) waits for async_payment_succeeded', async (t) => {
      const [ann] = await loginMany(server, 1);
      const { session, bookingId } = await paidSession(ann);
      await stack.deliver('checkout.session.completed', { ...session, payment_status: 'unpaid' });
      t.same((await paymentState(pool, bookingId)).payments, ['pending'], 'not paid yet');
      await stack.deliver('checkout.session.async_payment_succeeded', session);
      t.equal((await paymentState(pool, bookingId)).status, 'confirmed');
    });
  });
}

t.test('redirect-confirm and webhook at the same moment: one confirmation, one mail', async (t) => {
  const buyers = await loginMany(server, 10);
  const paid = await Promise.all(buyers.map((token) => paidSession(token)));
  const results = await Promise.all(paid.flatMap((p, i) => [
    server.request('POST', `/bookings/${p.bookingId}/confirm`, { token: buyers[i] }),
    stack.deliver('checkout.session.completed', p.session),
    stack.deliver('checkout.session.completed', p.session),
  ]));
  t.same(new Set(results.map((r) => r.status)), new Set([200]), 'every call answers 200');
  for (const p of paid) {
    const state = await paymentState(pool, p.bookingId);
    t.same(state, { status: 'confirmed', endedReason: null, payments: ['paid'], refunds: [], emails: ['booking_confirmed'] });
  }
  const { rows } = await pool.query(
    `select count(*)::int as n from app_private.outbox where task = 'emails__send'
        and payload->>'emailId' in (select id::text from app_private.emails where booking_id = any($1))`, [paid.map((p) => p.bookingId)]);
  t.equal(rows[0].n, paid.length, 'one mail job queued per booking');
});

t.test('confirm asks Stripe when the webhook has not come (or never will)', async (t) => {
  const [ann] = await loginMany(server, 1);
  const { bookingId } = await paidSession(ann);
  const res = await server.request('POST', `/bookings/${bookingId}/confirm`, { token: ann });
  t.equal(res.status, 200);
  t.equal(res.body.status, 'confirmed');
  const [bob] = await loginMany(server, 1);
  const event = await makeEvent(pool, { tickets: 1 });
  const unpaid = await stack.holdAndCheckout(bob, event.eventId, event.ticketIds);
  const notYet = await server.request('POST', `/bookings/${unpaid.bookingId}/confirm`, { token: bob });
  t.equal(notYet.status, 402, 'an unpaid session is not confirmed');
  t.equal(notYet.body.error.code, 'PAYMENT_REQUIRED');
});
