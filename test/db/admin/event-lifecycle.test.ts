// The admin lifecycle of an event, at the SQL level as the API runs it (admin role + claims):
// cancelling stops sales, releases holds and queues one refund and one email per paid booking (once,
// even when called twice or concurrently); rescheduling keeps the venue's wall time across
// DST and mails holders once per new time; inventory is added and only never-claimed tickets removed;
// a venue changes only while nothing is held or sold.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { ageBooking, asAdmin, asUser, makeAdmin, makeEvent, makeUser, ownerPool } from '../../helpers/db.ts';
import { confirmedAs, followUpsFor, holdAs } from '../../helpers/bookings.ts';

const pool = ownerPool(8);
t.teardown(() => pool.end());
const admin = await makeAdmin(pool);

const call = (sql: string, params: unknown[]) => asAdmin(pool, admin, async (c) => (await c.query(sql, params)).rows);
const failure = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return 'no error';
};

t.test('cancel_event: stops sales, releases holds, queues one refund and one email per paid booking', async (t) => {
  const event = await makeEvent(pool, { tickets: 6 });
  const [ann, bob, cat, dan] = await Promise.all([makeUser(pool), makeUser(pool), makeUser(pool), makeUser(pool)]);
  const paid1 = await confirmedAs(pool, ann, event.eventId, [event.ticketIds[0]]);
  const paid2 = await confirmedAs(pool, bob, event.eventId, [event.ticketIds[1], event.ticketIds[2]]);
  const held = await holdAs(pool, cat, event.eventId, [event.ticketIds[3]]);
  const ranOut = await holdAs(pool, dan, event.eventId, [event.ticketIds[4]]);
  await ageBooking(pool, ranOut, 3600);

  // Called twice at once and once more after: the first one cancels, the others change nothing.
  const results = await Promise.all([
    call('select (app_public.cancel_event($1)).status', [event.eventId]),
    call('select (app_public.cancel_event($1)).status', [event.eventId]),
  ]);
  await call('select app_public.cancel_event($1)', [event.eventId]);
  t.same(results.map((r) => r[0].status), ['cancelled', 'cancelled']);

  const { rows: bookings } = await pool.query(
    `select id, status, ended_reason from app_public.bookings where event_id = $1`, [event.eventId]);
  const byId = Object.fromEntries(bookings.map((b) => [b.id, [b.status, b.ended_reason]]));
  t.same(byId[held], ['cancelled', 'event_cancelled'], 'the live hold is cancelled');
  t.same(byId[paid1], ['confirmed', null], 'paid bookings stay confirmed until their refund runs');
  t.same(byId[ranOut], ['held', null], 'a hold that already ran out is left to the expiry sweep');
  const { rows: live } = await pool.query(
    `select booking_id from app_public.booking_tickets where event_id = $1 and booking_id = $2 and claimed && tstzrange(now(), 'infinity')`,
    [event.eventId, held]);
  t.same(live, [], 'the held ticket is free at once');

  const followUps = await followUpsFor(pool, [paid1, paid2, held, ranOut]);
  const expected = [
    ...[paid1, paid2].sort().map((id) => ({ type: 'email', bookingId: id, what: 'event_cancelled' })),
    ...[paid1, paid2].sort().map((id) => ({ type: 'refund', bookingId: id, what: 'event_cancelled:full' })),
  ];
  t.same(followUps, expected, 'exactly one full refund and one email per paid booking; none for holds');

  const user = await makeUser(pool);
  const code = await failure(holdAs(pool, user, event.eventId, [event.ticketIds[5]]));
  t.equal(code, 'BXNOS', 'no new hold on a cancelled event');
  t.equal(await failure(call(`update app_public.events set status = 'published' where id = $1`, [event.eventId])), 'BXEST',
    'a cancelled event cannot be published again');
});

t.test('cancelling through a plain status update is refused; only cancel_event cancels', async (t) => {
  const event = await makeEvent(pool, { tickets: 1 });
  t.equal(await failure(call(`update app_public.events set status = 'cancelled' where id = $1`, [event.eventId])), 'BXEST');
  t.equal(await failure(call(`update app_public.events set starts_at = now() where id = $1`, [event.eventId])), '42501',
    'the start time is not a writable column (reschedule_event moves it)');
  t.equal(await failure(call(`update app_public.events set venue_id = venue_id where id = $1`, [event.eventId])), '42501',
    'nor the venue (change_event_venue)');
  const rows = await call(`update app_public.events set status = 'postponed' where id = $1 returning status`, [event.eventId]);
  t.same(rows, [{ status: 'postponed' }], 'other status changes are plain updates');
});

t.test('reschedule_event: the venue\'s wall time is kept across DST; holders are mailed once per new time', async (t) => {
  // Europe/Berlin switches to summer time on 2027-03-28.
  const event = await makeEvent(pool, { tickets: 3 });
  const ann = await makeUser(pool);
  const paid = await confirmedAs(pool, ann, event.eventId, [event.ticketIds[0]]);
  const held = await holdAs(pool, await makeUser(pool), event.eventId, [event.ticketIds[1]]);
  const at = async () => (await pool.query(
    `select to_char(e.starts_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"') as utc,
            to_char(e.starts_at at time zone v.timezone, 'YYYY-MM-DD HH24:MI') as local
       from app_public.events e join app_public.venues v on v.id = e.venue_id where e.id = $1`, [event.eventId])).rows[0];

  await call('select app_public.reschedule_event($1, $2)', [event.eventId, '2027-03-27 20:00']);
  t.same(await at(), { utc: '2027-03-27T19:00Z', local: '2027-03-27 20:00' }, 'winter time: 20:00 local is 19:00 UTC');
  await call('select app_public.reschedule_event($1, $2)', [event.eventId, '2027-03-28 20:00']);
  t.same(await at(), { utc: '2027-03-28T18:00Z', local: '2027-03-28 20:00' }, 'the day after the switch: 20:00 local is 18:00 UTC');
  await call('select app_public.reschedule_event($1, $2)', [event.eventId, '2027-03-28 20:00']);

  t.same(await followUpsFor(pool, [paid, held]), [
    { type: 'email', bookingId: paid, what: 'event_rescheduled:2027-03-27T19:00:00Z' },
    { type: 'email', bookingId: paid, what: 'event_rescheduled:2027-03-28T18:00:00Z' },
  ], 'one email per paid booking and new time; the same time again queues nothing; holds get none');

  await call('select app_public.cancel_event($1)', [event.eventId]);
  t.equal(await failure(call('select app_public.reschedule_event($1, $2)', [event.eventId, '2027-05-01 20:00'])), 'BXEST',
    'a cancelled event cannot be rescheduled');
});

t.test('inventory: add general admission and seats; remove only tickets nobody ever claimed', async (t) => {
  const event = await makeEvent(pool, { tickets: 6 });
  const [ann, bob, cat] = await Promise.all([makeUser(pool), makeUser(pool), makeUser(pool)]);
  await confirmedAs(pool, ann, event.eventId, [event.ticketIds[0]]);
  await holdAs(pool, bob, event.eventId, [event.ticketIds[1]]);
  const ranOut = await holdAs(pool, cat, event.eventId, [event.ticketIds[2]]);
  await ageBooking(pool, ranOut, 3600);

  const [{ n: added }] = await call('select app_public.add_inventory($1, $2, 4) as n', [event.eventId, event.tierIds[0]]);
  t.equal(added, 4, 'four general-admission places added');
  const [{ n: seats }] = await call(`select app_public.add_seat_rows($1, 'Balcony', array['A', 'B'], 5) as n`, [event.venueId]);
  t.equal(seats, 10, 'a block of 2 rows x 5 seats');
  const [{ n: seated }] = await call(`select app_public.add_inventory($1, $2, null, 'Balcony') as n`, [event.eventId, event.tierIds[0]]);
  t.equal(seated, 10, 'a ticket per new seat');
  const [{ n: again }] = await call(`select app_public.add_inventory($1, $2, null, 'Balcony') as n`, [event.eventId, event.tierIds[0]]);
  t.equal(again, 0, 'seats that have a ticket get no second one');
  t.equal(await failure(call('select app_public.add_inventory($1, $2, 4)', [event.eventId, randomUUID()])), 'BXPTN', 'a tier of another event');

  const [{ n: removed }] = await call('select app_public.remove_unsold_inventory($1) as n', [event.eventId]);
  t.equal(removed, 3 + 4 + 10, 'every never-claimed ticket is removed');
  const { rows } = await pool.query('select id from app_public.tickets where event_id = $1 order by position', [event.eventId]);
  t.same(rows.map((r) => r.id), event.ticketIds.slice(0, 3), 'the sold, the held and the once-held tickets stay');
});

t.test('change_event_venue: only while nothing is held or sold', async (t) => {
  const event = await makeEvent(pool, { tickets: 2 });
  const other = await makeEvent(pool, { tickets: 1 });
  const booking = await holdAs(pool, await makeUser(pool), event.eventId, [event.ticketIds[0]]);
  t.equal(await failure(call('select app_public.change_event_venue($1, $2)', [event.eventId, other.venueId])), 'BXVCH', 'refused with a live hold');
  await asUser(pool, (await pool.query('select user_id from app_public.bookings where id = $1', [booking])).rows[0].user_id,
    (c) => c.query('select app_public.cancel_booking($1)', [booking]));
  const [moved] = await call('select (app_public.change_event_venue($1, $2)).venue_id', [event.eventId, other.venueId]);
  t.equal(moved.venue_id, other.venueId, 'moves once the hold is released');
  const { rows } = await pool.query('select count(*)::int as n from app_public.tickets where event_id = $1', [event.eventId]);
  t.equal(rows[0].n, 2, 'general-admission places move with it');
  t.equal(await failure(call('select app_public.change_event_venue($1, $2)', [event.eventId, randomUUID()])), 'BXVNF', 'unknown venue');
});

t.test('admin functions refuse visitors, and a visitor role with a forged admin claim', async (t) => {
  const event = await makeEvent(pool, { tickets: 1 });
  const user = await makeUser(pool);
  for (const fn of ['cancel_event($1)', `reschedule_event($1, '2030-01-01 20:00')`, 'remove_unsold_inventory($1)', 'add_inventory($1, $1, 1)']) {
    t.equal(await failure(asUser(pool, user, (c) => c.query(`select app_public.${fn}`, [event.eventId]))), '42501', `${fn}: not executable by visitors`);
  }
  // The admin role without a row in app_private.admins (a server bug, say) is still refused.
  t.equal(await failure(asAdmin(pool, user, (c) => c.query('select app_public.cancel_event($1)', [event.eventId]))), 'BXADM');
  const { rows } = await pool.query('select status from app_public.events where id = $1', [event.eventId]);
  t.equal(rows[0].status, 'published', 'nothing changed');
});

t.test('the audit log records who changed what, before and after; nobody can change it', async (t) => {
  const event = await makeEvent(pool, { tickets: 1, title: 'Before' });
  await call(`update app_public.events set title = 'After' where id = $1`, [event.eventId]);
  await call('select app_public.add_inventory($1, $2, 2)', [event.eventId, event.tierIds[0]]);
  const { rows } = await pool.query(
    `select actor_user_id, actor_role, table_name, operation, before ->> 'title' as before, after ->> 'title' as after
       from app_public.audit_log where table_name = 'events' and row_key = $1 order by id`, [event.eventId]);
  t.same(rows, [
    { actor_user_id: admin, actor_role: 'boxoffice_admin', table_name: 'events', operation: 'update', before: 'Before', after: 'After' },
  ], 'the admin\'s change, with before and after; the owner\'s fixture insert is not an admin change and is not logged');
  const tickets = await pool.query(
    `select count(*)::int as n from app_public.audit_log where table_name = 'tickets' and operation = 'insert'
        and after ->> 'event_id' = $1 and actor_user_id = $2`, [event.eventId, admin]);
  t.equal(tickets.rows[0].n, 2, 'one row per ticket added');

  t.equal(await failure(pool.query('update app_public.audit_log set after = null where id = (select max(id) from app_public.audit_log)')), 'BXAUD', 'no update, even by the owner');
  t.equal(await failure(pool.query('delete from app_public.audit_log where id = (select max(id) from app_public.audit_log)')), 'BXAUD', 'no delete');
  t.equal(await failure(pool.query('truncate app_public.audit_log')), 'BXAUD', 'no truncate');
  t.equal(await failure(asAdmin(pool, admin, (c) => c.query('delete from app_public.audit_log'))), '42501', 'admins may only read it');
  t.equal(await failure(asUser(pool, await makeUser(pool), (c) => c.query('select 1 from app_public.audit_log'))), '42501', 'visitors may not read it');
});
