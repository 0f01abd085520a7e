// Many buyers over HTTP at the same moment: one ticket goes to exactly one of them, overlapping
// multi-ticket holds never end half-made, and general admission never oversells. Every loser gets a
// clean 409, never a 5xx.
import t from 'tap';
import { VISITOR_ROLE, pgSettingsFor } from '../../lib/db.ts';
import { makeEvent, makeUser, ownerPool } from '../helpers/db.ts';
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

t.test('a request that fails while holding row locks does not make a concurrent buyer see SOLD_OUT', async (t) => {
  // Three places left. Ann asks for four: she is refused SOLD_OUT, but her transaction still holds the
  // row locks it took while looking until it ends. Bob asks for one place at that moment: there are
  // three free places, so he must get one (waiting for Ann's transaction if need be), not SOLD_OUT.
  const event = await makeEvent(pool, { tickets: 3 });
  const annUser = await makeUser(pool);
  const [bob] = await loginMany(server, 1);
  const ann = await pool.connect();
  let open = true;
  t.teardown(async () => {
    if (open) await ann.query('rollback');
    ann.release();
  });
  await ann.query('begin');
  await ann.query('select set_config(k, v, true) from json_each_text($1::json) s(k, v)',
    [JSON.stringify(pgSettingsFor({ role: VISITOR_ROLE, userId: annUser }, 'dev'))]);
  await t.rejects(ann.query('select app_public.create_booking($1, null, $2, 4)', [event.eventId, event.tierIds[0]]),
    { code: 'BXSLD' }, 'Ann: four of three is SOLD_OUT');

  let settled = false;
  const bobAnswer = server.request('POST', '/bookings', { token: bob, body: { eventId: event.eventId, priceTierId: event.tierIds[0], quantity: 1 } })
    .finally(() => { settled = true; });
  // Let Bob's request either finish or start waiting for Ann's locks, then end Ann's transaction.
  for (let i = 0; i < 5000 && !settled; i++) {
    const { rowCount } = await pool.query(
      `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'
          and position('create_booking' in query) > 0`);
    if (rowCount) break;
  }
  await ann.query('rollback');
  open = false;
  const answer = await bobAnswer;
  t.equal(answer.status, 201, 'Bob gets a place');
  t.equal(answer.body?.error?.code, undefined, 'not an error (e.g. SOLD_OUT while three places are free)');
  const details = await server.request('GET', `/events/${event.eventId}`);
  t.same(details.body.availability, { available: answer.status === 201 ? 2 : 3, held: answer.status === 201 ? 1 : 0, sold: 0, total: 3 },
    'the counts match what Bob was told');
});
