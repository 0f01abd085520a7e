// Two live claims on one ticket are impossible: many buyers at once on separate connections, and a
// direct INSERT that bypasses the functions.
import t, { type Test } from 'tap';
import pg from 'pg';
import { VISITOR_ROLE, pgSettingsFor } from '../../../lib/db.ts';
import { makeEvent, makeUser, ownerPool, testDatabaseUrl } from '../../helpers/db.ts';

const pool = ownerPool(4);
t.teardown(() => pool.end());

/** n connections, each signed in as its own user, all connected before anyone starts. */
async function buyers(t: Test, n: number) {
  const clients = await Promise.all(Array.from({ length: n }, async () => {
    const client = new pg.Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    const userId = await makeUser(pool);
    return { client, userId };
  }));
  t.teardown(() => Promise.all(clients.map((c) => c.client.end())));
  return clients;
}

/** Runs create_booking on every connection at the same moment; returns each outcome's SQLSTATE or 'ok'. */
async function holdAll(clients: Awaited<ReturnType<typeof buyers>>, args: (i: number) => unknown[]) {
  return Promise.all(clients.map(async ({ client, userId }, i) => {
    try {
      await client.query('begin');
      await client.query('select set_config(k, v, true) from json_each_text($1::json) s(k, v)',
        [JSON.stringify(pgSettingsFor({ role: VISITOR_ROLE, userId }, 'dev'))]);
      const { rows } = await client.query('select (app_public.create_booking($1, $2::uuid[], $3, $4)).id', args(i));
      await client.query('commit');
      return { outcome: 'ok', bookingId: rows[0].id as string };
    } catch (err) {
      await client.query('rollback');
      return { outcome: (err as { code: string }).code, bookingId: null };
    }
  }));
}

async function liveClaims(eventId: string) {
  const { rows } = await pool.query(
    `select ticket_id, count(*)::int as n from app_public.booking_tickets
      where event_id = $1 and claimed && tstzrange(now(), 'infinity') group by ticket_id`, [eventId]);
  return rows;
}

t.test('50 buyers holding the same ticket at once: exactly one wins', async (t) => {
  const event = await makeEvent(pool, { tickets: 5 });
  const clients = await buyers(t, 50);
  const results = await holdAll(clients, () => [event.eventId, [event.ticketIds[0]], null, null]);
  const outcomes = results.map((r) => r.outcome);
  t.equal(outcomes.filter((o) => o === 'ok').length, 1, 'one hold succeeds');
  t.equal(outcomes.filter((o) => o === 'BXTKU').length, 49, 'everyone else gets TICKETS_UNAVAILABLE');
  t.same(await liveClaims(event.eventId), [{ ticket_id: event.ticketIds[0], n: 1 }], 'one live claim on the ticket');
});

t.test('overlapping multi-ticket holds never end partial', async (t) => {
  // Buyer i wants tickets i and i+1: neighbours overlap, so at most every other buyer can win.
  const event = await makeEvent(pool, { tickets: 21 });
  const clients = await buyers(t, 20);
  const results = await holdAll(clients, (i) => [event.eventId, [event.ticketIds[i], event.ticketIds[i + 1]], null, null]);
  t.ok(results.every((r) => r.outcome === 'ok' || r.outcome === 'BXTKU'), 'only wins and TICKETS_UNAVAILABLE');
  const winners = results.flatMap((r, i) => (r.outcome === 'ok' ? [i] : []));
  t.ok(winners.length >= 1, 'someone wins');
  for (let k = 1; k < winners.length; k++) t.ok(winners[k] - winners[k - 1] >= 2, 'no two winners share a ticket');
  const { rows } = await pool.query(
    `select b.id, count(c.*)::int as tickets from app_public.bookings b join app_public.booking_tickets c on c.booking_id = b.id
      where b.event_id = $1 group by b.id`, [event.eventId]);
  t.equal(rows.length, winners.length, 'a booking exists for each winner only');
  t.ok(rows.every((r) => r.tickets === 2), 'every booking holds both of its tickets');
  t.ok((await liveClaims(event.eventId)).every((c) => c.n === 1), 'no ticket claimed twice');
});

t.test('30 buyers asking for general admission places at once never oversell', async (t) => {
  const event = await makeEvent(pool, { tickets: 25 });
  const clients = await buyers(t, 30);
  const results = await holdAll(clients, () => [event.eventId, null, event.tierIds[0], 2]);
  const wins = results.filter((r) => r.outcome === 'ok').length;
  t.equal(wins, 12, '12 buyers get 2 places each out of 25');
  t.same(results.filter((r) => r.outcome !== 'ok').map((r) => r.outcome), Array(18).fill('BXSLD'), 'the rest get SOLD_OUT');
  const claims = await liveClaims(event.eventId);
  t.equal(claims.length, 24, '24 places held');
  t.ok(claims.every((c) => c.n === 1), 'each place held once');
});

t.test('a direct INSERT that double-claims a ticket is rejected by the database', async (t) => {
  const event = await makeEvent(pool, { tickets: 1 });
  const userId = await makeUser(pool);
  const { rows: [a] } = await pool.query(
    `insert into app_public.bookings (event_id, user_id, total_amount, currency, expires_at)
     values ($1, $2, 0, 'EUR', now() + interval '5 minutes') returning id`, [event.eventId, userId]);
  const { rows: [b] } = await pool.query(
    `insert into app_public.bookings (event_id, user_id, total_amount, currency, expires_at)
     values ($1, $2, 0, 'EUR', now() + interval '5 minutes') returning id`, [event.eventId, userId]);
  const claim = (bookingId: string, range: string) => pool.query(
    `insert into app_public.booking_tickets (booking_id, event_id, ticket_id, amount, claimed) values ($1, $2, $3, 0, $4::tstzrange)`,
    [bookingId, event.eventId, event.ticketIds[0], range]);
  await claim(a.id, '[2030-01-01 10:00Z, 2030-01-01 10:05Z)');
  await t.rejects(claim(b.id, '[2030-01-01 10:04Z, infinity)'), { code: '23P01' }, 'overlapping claim refused');
  await t.resolves(claim(b.id, '[2030-01-01 10:05Z, infinity)'), 'a claim starting when the first ends is fine');
});
