// Many buyers over HTTP at the same moment: one ticket goes to exactly one of them, overlapping
// multi-ticket holds never end half-made, and general admission never oversells. Every loser gets a
// clean 409, never a 5xx.
import t from 'tap';
import { ageBooking, makeEvent, ownerPool } from '../helpers/db.ts';
import { liveClaimsFor, loginMany } from '../helpers/observe.ts';
import { startTestServer } from '../helpers/server.ts';

const pool = ownerPool(4);
const server = await startTestServer();
t.teardown(async () => {
  await server.close();
  await pool.end();
});

t.test('50 buyers POST /bookings for the same ticket at once: exactly one gets it', async (t) => {
  const event = await makeEvent(pool, { tickets: 5 });
  const tokens = await loginMany(server, 50);

  const answers = await Promise.all(tokens.map((token) =>
    server.request('POST', '/bookings', { token, body: { eventId: event.eventId, ticketIds: [event.ticketIds[0]] } })));

  const statuses = answers.map((a) => a.status);
  t.same(statuses.filter((s) => s >= 500), [], 'no answer is a server error');
  t.equal(statuses.filter((s) => s === 201).length, 1, 'exactly one 201');
  const losers = answers.filter((a) => a.status !== 201);
  t.equal(losers.length, 49, '49 others');
  t.ok(losers.every((a) => a.status === 409), 'every loser gets 409');
  t.ok(losers.every((a) => a.body.error.code === 'TICKETS_UNAVAILABLE'), 'with error code TICKETS_UNAVAILABLE');
  t.ok(losers.every((a) => a.body.error.details.ticketIds?.[0] === event.ticketIds[0]), 'naming the taken ticket');

  const winner = answers.find((a) => a.status === 201)!;
  t.equal(winner.body.status, 'held', 'the winner holds it');
  t.same(winner.body.tickets.map((x: { id: string }) => x.id), [event.ticketIds[0]], 'the winner holds that ticket');

  const details = await server.request('GET', `/events/${event.eventId}`);
  t.equal(details.status, 200);
  t.same(details.body.availability, { available: 4, held: 1, sold: 0, total: 5 }, 'the event page says one held');

  const claims = await liveClaimsFor(pool, event.eventId);
  t.same(claims, [{ ticketId: event.ticketIds[0], bookingId: winner.body.id }], 'one live claim, the winner\'s');
  const { rows } = await pool.query('select count(*)::int as n from app_public.bookings where event_id = $1', [event.eventId]);
  t.equal(rows[0].n, 1, 'the losers left no booking behind');
});

t.test('overlapping multi-ticket holds fired together never end partial', async (t) => {
  // Buyer i wants tickets i and i+1: every buyer overlaps both neighbours.
  const n = 20;
  const event = await makeEvent(pool, { tickets: n + 1 });
  const tokens = await loginMany(server, n);

  const answers = await Promise.all(tokens.map((token, i) => server.request('POST', '/bookings', {
    token, body: { eventId: event.eventId, ticketIds: [event.ticketIds[i], event.ticketIds[i + 1]] },
  })));

  t.same(answers.filter((a) => a.status >= 500).map((a) => a.body), [], 'no server errors');
  t.ok(answers.every((a) => a.status === 201 || (a.status === 409 && a.body.error.code === 'TICKETS_UNAVAILABLE')),
    'each answer is a hold or TICKETS_UNAVAILABLE');
  const winners = answers.flatMap((a, i) => (a.status === 201 ? [i] : []));
  t.ok(winners.length >= 1, 'someone wins');
  for (let k = 1; k < winners.length; k++) t.ok(winners[k] - winners[k - 1] >= 2, `winners ${winners[k - 1]} and ${winners[k]} share no ticket`);

  for (const i of winners) {
    t.same(answers[i].body.tickets.map((x: { id: string }) => x.id).sort(), [event.ticketIds[i], event.ticketIds[i + 1]].sort(),
      `buyer ${i}'s booking holds both of its tickets`);
  }
  const { rows } = await pool.query(
    `select b.id, count(c.*)::int as tickets from app_public.bookings b left join app_public.booking_tickets c on c.booking_id = b.id
      where b.event_id = $1 group by b.id`, [event.eventId]);
  t.equal(rows.length, winners.length, 'a booking exists for each winner and nobody else');
  t.ok(rows.every((r) => r.tickets === 2), 'no booking holds only one of its tickets');

  const claims = await liveClaimsFor(pool, event.eventId);
  t.equal(claims.length, winners.length * 2, 'two live claims per winner');
  t.equal(new Set(claims.map((c) => c.ticketId)).size, claims.length, 'no ticket is in two live bookings');

  const details = await server.request('GET', `/events/${event.eventId}`);
  t.same(details.body.availability, { available: n + 1 - winners.length * 2, held: winners.length * 2, sold: 0, total: n + 1 },
    'the event page counts exactly the winners\' tickets as held');
});

t.test('30 buyers asking for 2 general-admission places of 25 at once: 12 win, nobody oversells', async (t) => {
  const event = await makeEvent(pool, { tickets: 25 });
  const tokens = await loginMany(server, 30);

  const answers = await Promise.all(tokens.map((token) => server.request('POST', '/bookings', {
    token, body: { eventId: event.eventId, priceTierId: event.tierIds[0], quantity: 2 },
  })));

  t.same(answers.filter((a) => a.status >= 500).map((a) => a.body), [], 'no server errors');
  t.equal(answers.filter((a) => a.status === 201).length, 12, '12 holds of 2 places');
  const losers = answers.filter((a) => a.status !== 201);
  t.ok(losers.every((a) => a.status === 409 && a.body.error.code === 'SOLD_OUT'), 'the other 18 get 409 SOLD_OUT');
  const claims = await liveClaimsFor(pool, event.eventId);
  t.equal(claims.length, 24, '24 places held');
  t.equal(new Set(claims.map((c) => c.ticketId)).size, 24, 'each place held once');
  const details = await server.request('GET', `/events/${event.eventId}`);
  t.same(details.body.availability, { available: 1, held: 24, sold: 0, total: 25 }, 'one place left');
});

t.test('one buyer firing 10 holds at once cannot pass the per-person limit', async (t) => {
  const event = await makeEvent(pool, { tickets: 10, maxTicketsPerUser: 3 });
  const [buyer] = await loginMany(server, 1);
  const answers = await Promise.all(event.ticketIds.map((ticketId) =>
    server.request('POST', '/bookings', { token: buyer, body: { eventId: event.eventId, ticketIds: [ticketId] } })));
  t.same(answers.filter((a) => a.status >= 500).map((a) => a.body), [], 'no server errors');
  t.equal(answers.filter((a) => a.status === 201).length, 3, 'three holds');
  t.ok(answers.filter((a) => a.status !== 201).every((a) => a.status === 409 && a.body.error.code === 'TICKET_LIMIT_REACHED'),
    'the other seven: 409 TICKET_LIMIT_REACHED');
  t.equal((await liveClaimsFor(pool, event.eventId)).length, 3, 'three tickets claimed');
});

/** A held booking of one ticket with its checkout started; returns what is needed to pay it. */
async function heldWithCheckout(token: string, eventId: string, ticketId: string) {
  const hold = await server.request('POST', '/bookings', { token, body: { eventId, ticketIds: [ticketId] } });
  const checkout = await server.request('POST', `/bookings/${hold.body.id}/checkout`, { token });
  return { bookingId: hold.body.id as string, payPath: `${new URL(checkout.body.checkoutUrl).pathname}/pay` };
}
const payJson = { accept: 'application/json' };

t.test('the provider calling back twice and the buyer confirming, all at once: confirmed once', async (t) => {
  const event = await makeEvent(pool, { tickets: 1 });
  const [buyer] = await loginMany(server, 1);
  const { bookingId, payPath } = await heldWithCheckout(buyer, event.eventId, event.ticketIds[0]);
  const [pay1, pay2, confirm] = await Promise.all([
    server.request('POST', payPath, { headers: payJson }),
    server.request('POST', payPath, { headers: payJson }),
    server.request('POST', `/bookings/${bookingId}/confirm`, { token: buyer }),
  ]);
  t.same([pay1.body, pay2.body], [{ bookingStatus: 'confirmed', endedReason: null }, { bookingStatus: 'confirmed', endedReason: null }],
    'both callbacks answer confirmed');
  t.ok((confirm.status === 200 && confirm.body.status === 'confirmed') || (confirm.status === 402 && confirm.body.error.code === 'PAYMENT_REQUIRED'),
    'the buyer\'s confirm is either confirmed or (if it ran first) payment required');
  const { rows } = await pool.query(
    `select b.status, (select array_agg(p.status) from app_public.payments p where p.booking_id = b.id) as payments
       from app_public.bookings b where b.id = $1`, [bookingId]);
  t.same(rows[0], { status: 'confirmed', payments: ['paid'] }, 'confirmed, one payment, paid');
  t.equal((await liveClaimsFor(pool, event.eventId)).length, 1, 'one claim');
});

t.test('releasing and paying at the same moment: one consistent outcome', async (t) => {
  const event = await makeEvent(pool, { tickets: 1 });
  const [buyer] = await loginMany(server, 1);
  const { bookingId, payPath } = await heldWithCheckout(buyer, event.eventId, event.ticketIds[0]);
  const [release, pay] = await Promise.all([
    server.request('DELETE', `/bookings/${bookingId}`, { token: buyer }),
    server.request('POST', payPath, { headers: payJson }),
  ]);
  t.ok(release.status < 500 && pay.status < 500, 'no server errors');
  const { rows } = await pool.query(
    `select b.status, (select array_agg(p.status) from app_public.payments p where p.booking_id = b.id) as payments
       from app_public.bookings b where b.id = $1`, [bookingId]);
  const details = await server.request('GET', `/events/${event.eventId}`);
  if (rows[0].status === 'confirmed') {
    t.equal(release.status, 409, 'paid first: the release is refused');
    t.equal(release.body.error.code, 'BOOKING_STATE_CONFLICT');
    t.same(details.body.availability, { available: 0, held: 0, sold: 1, total: 1 }, 'and the ticket is sold');
  } else {
    t.equal(rows[0].status, 'cancelled', 'released first: the booking stays released');
    t.same(details.body.availability, { available: 1, held: 0, sold: 0, total: 1 }, 'and the ticket is free');
  }
  t.same(rows[0].payments, ['paid'], 'either way the payment is on record as paid');
});

t.test('a late payment and another buyer\'s hold on the same ticket at once: never both', async (t) => {
  for (let round = 0; round < 5; round++) {
    const event = await makeEvent(pool, { tickets: 1, holdSeconds: 60 });
    const [ann, bob] = await loginMany(server, 2);
    const { bookingId, payPath } = await heldWithCheckout(ann, event.eventId, event.ticketIds[0]);
    await ageBooking(pool, bookingId, 120);
    const [pay, bobHold] = await Promise.all([
      server.request('POST', payPath, { headers: payJson }),
      server.request('POST', '/bookings', { token: bob, body: { eventId: event.eventId, ticketIds: [event.ticketIds[0]] } }),
    ]);
    t.equal(pay.status, 200, `round ${round}: the callback is accepted`);
    if (bobHold.status === 201) {
      t.same(pay.body, { bookingStatus: 'expired', endedReason: 'tickets_taken' }, `round ${round}: Bob first, Ann's payment finds it taken`);
    } else {
      t.equal(bobHold.body.error.code, 'TICKETS_UNAVAILABLE', `round ${round}: Ann first, Bob is refused`);
      t.same(pay.body, { bookingStatus: 'confirmed', endedReason: null }, `round ${round}: Ann confirmed`);
    }
    t.equal((await liveClaimsFor(pool, event.eventId)).length, 1, `round ${round}: one live claim`);
  }
});
