// Holds that run out: their tickets are free at once (no sweep needed), the sweep (the real
// bookings__expire task, run by graphile-worker) records them as expired, app_private.expire_bookings
// honours its `at` and batch size, and a payment that arrives late confirms only if the tickets are
// still free. Time moves through the database (ageBooking), never by sleeping.
import t from 'tap';
import { Logger, runOnce } from 'graphile-worker';
import { taskList } from '../../worker/index.ts';
import { ageBooking, makeEvent, ownerPool, testDatabaseUrl } from '../helpers/db.ts';
import { loginMany } from '../helpers/observe.ts';
import { startTestServer } from '../helpers/server.ts';

const pool = ownerPool(4);
const server = await startTestServer();
t.teardown(async () => {
  await server.close();
  await pool.end();
});

const silent = new Logger(() => () => {});

/**
 * Queues the sweep job and lets graphile-worker run it (and whatever else is due). The sweep now
 * queues follow-up jobs itself (a "hold expired" mail), and runOnce can return while a job it picked
 * up on that NOTIFY is still finishing; so run it again (a bounded few times) until our job is gone.
 */
async function runSweep(): Promise<{ jobLeft: boolean }> {
  const { rows } = await pool.query<{ id: string }>(`select (graphile_worker.add_job('bookings__expire')).id`);
  await runOnce({ connectionString: testDatabaseUrl(), taskList, logger: silent });
  // runOnce can return while the job it locked is still finishing: wait (bounded) for it to complete.
  for (let i = 0; i < 100; i++) {
    const left = await pool.query('select last_error from graphile_worker.jobs where id = $1', [rows[0].id]);
    if (!left.rowCount) return { jobLeft: false };
    if (left.rows[0].last_error !== null) return { jobLeft: true }; // it failed
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { jobLeft: true };
}

async function hold(token: string, eventId: string, ticketIds: string[]) {
  const res = await server.request('POST', '/bookings', { token, body: { eventId, ticketIds } });
  if (res.status !== 201) throw new Error(`hold failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; expiresAt: string };
}

async function row(bookingId: string) {
  const { rows } = await pool.query(
    `select b.status, b.ended_reason as "endedReason", b.ended_at = b.expires_at as "endedAtExpiry", b.ended_at is null as "notEnded",
            (select array_agg(c.claimed::text order by c.ticket_id) from app_public.booking_tickets c where c.booking_id = b.id) as claims
       from app_public.bookings b where b.id = $1`, [bookingId]);
  return rows[0];
}

const availability = async (eventId: string) => (await server.request('GET', `/events/${eventId}`)).body.availability;
const payPath = (checkoutUrl: string) => `${new URL(checkoutUrl).pathname}/pay`;
const asJson = { accept: 'application/json' };

t.test('an expired hold frees its ticket at once; the sweep then records it as expired', async (t) => {
  const event = await makeEvent(pool, { tickets: 4, holdSeconds: 60 });
  const [ann, bob, dan] = await loginMany(server, 3);
  const annHold = await hold(ann, event.eventId, [event.ticketIds[0]]);
  const bobHold = await hold(bob, event.eventId, [event.ticketIds[1]]);
  const checkout = await server.request('POST', `/bookings/${bobHold.id}/checkout`, { token: bob });
  await server.request('POST', payPath(checkout.body.checkoutUrl), { headers: asJson });
  t.same(await availability(event.eventId), { available: 2, held: 1, sold: 1, total: 4 }, 'before: one held, one sold');

  await ageBooking(pool, annHold.id, 61);
  t.equal((await row(annHold.id)).status, 'held', 'no sweep has run: the row still says held');
  t.same(await availability(event.eventId), { available: 3, held: 0, sold: 1, total: 4 }, 'yet the ticket counts as available');
  const free = await server.request('GET', `/events/${event.eventId}/tickets?status=available`);
  t.ok(free.body.items.some((x: { id: string }) => x.id === event.ticketIds[0]), 'and is listed as available');

  const danRes = await server.request('POST', '/bookings', { token: dan, body: { eventId: event.eventId, ticketIds: [event.ticketIds[0]] } });
  t.equal(danRes.status, 201, 'someone else holds it at once, before any sweep');
  t.same(await availability(event.eventId), { available: 2, held: 1, sold: 1, total: 4 }, 'held 1 (Dan), sold 1 (Bob)');

  const danBefore = await row(danRes.body.id);
  const sweep = await runSweep();
  t.notOk(sweep.jobLeft, 'graphile-worker ran the bookings__expire job to completion');
  const annAfter = await row(annHold.id);
  t.same({ status: annAfter.status, endedReason: annAfter.endedReason, endedAtExpiry: annAfter.endedAtExpiry },
    { status: 'expired', endedReason: 'hold_expired', endedAtExpiry: true }, 'Ann\'s booking is expired (hold_expired), ended when the hold ran out');
  t.same(await row(danRes.body.id), danBefore, 'Dan\'s live hold is untouched');
  t.equal((await row(bobHold.id)).status, 'confirmed', 'Bob\'s confirmed booking is untouched');
  t.same(await availability(event.eventId), { available: 2, held: 1, sold: 1, total: 4 }, 'the counts do not change');

  const annView = await server.request('GET', `/bookings/${annHold.id}`, { token: ann });
  t.equal(annView.body.status, 'expired', 'Ann sees her booking expired');
  t.equal(annView.body.endedReason, 'hold_expired');
  t.equal(annView.body.endedAt, annView.body.expiresAt, 'ended at the (moved) expiry time');

  const again = await runSweep();
  t.notOk(again.jobLeft, 'a second sweep runs too');
  t.equal((await row(annHold.id)).status, 'expired', 'and changes nothing');
});

t.test('a buyer sees a hold that ran out as expired at once, not only after the sweep', async (t) => {
  const event = await makeEvent(pool, { tickets: 1, holdSeconds: 60 });
  const [ann] = await loginMany(server, 1);
  const annHold = await hold(ann, event.eventId, [event.ticketIds[0]]);
  await ageBooking(pool, annHold.id, 61);
  t.equal((await row(annHold.id)).status, 'held', 'no sweep has run yet');
  const view = await server.request('GET', `/bookings/${annHold.id}`, { token: ann });
  t.equal(view.status, 200);
  t.equal(view.body.status, 'expired', 'GET /bookings/:id says expired, as the ticket is no longer hers');
  t.equal(view.body.endedReason, 'hold_expired', 'because the hold ran out');
  const checkout = await server.request('POST', `/bookings/${annHold.id}/checkout`, { token: ann });
  t.equal(checkout.body.error?.details?.status, 'expired', 'and a refused checkout names the same status');
});

t.test('releasing a hold that already ran out records it as expired, not cancelled', async (t) => {
  const event = await makeEvent(pool, { tickets: 1, holdSeconds: 60 });
  const [ann] = await loginMany(server, 1);
  const annHold = await hold(ann, event.eventId, [event.ticketIds[0]]);
  await ageBooking(pool, annHold.id, 120);
  const res = await server.request('DELETE', `/bookings/${annHold.id}`, { token: ann });
  t.equal(res.status, 200);
  t.equal(res.body.status, 'expired', 'status expired');
  t.equal(res.body.endedReason, 'hold_expired', 'because the hold ran out');
  t.equal(res.body.endedAt, res.body.expiresAt, 'ended when it ran out');
});

t.test('a hold that ran out cannot start a payment', async (t) => {
  const event = await makeEvent(pool, { tickets: 1, holdSeconds: 60 });
  const [ann] = await loginMany(server, 1);
  const annHold = await hold(ann, event.eventId, [event.ticketIds[0]]);
  await ageBooking(pool, annHold.id, 61);
  const res = await server.request('POST', `/bookings/${annHold.id}/checkout`, { token: ann });
  t.equal(res.status, 409, 'checkout: 409');
  t.equal(res.body.error.code, 'BOOKING_STATE_CONFLICT', 'BOOKING_STATE_CONFLICT');
  const { rows } = await pool.query('select count(*)::int as n from app_public.payments where booking_id = $1', [annHold.id]);
  t.equal(rows[0].n, 0, 'no payment started');
});

t.test('expire_bookings(at, batch) expires only what is due by `at`, earliest first, batch by batch', async (t) => {
  // Five holds aged far into the past (100 years, so no other test's hold is due before them), one
  // minute apart: hold k expires at E - k minutes.
  const event = await makeEvent(pool, { tickets: 6, holdSeconds: 60 });
  const [ann] = await loginMany(server, 1);
  const bookings: string[] = [];
  for (let k = 0; k < 5; k++) bookings.push((await hold(ann, event.eventId, [event.ticketIds[k]])).id);
  const live = (await hold(ann, event.eventId, [event.ticketIds[5]])).id;
  const century = 100 * 365 * 24 * 3600;
  for (let k = 0; k < 5; k++) await ageBooking(pool, bookings[k], century + 60 * k);

  const expire = async (at: string, batch: number) => (await pool.query<{ n: number }>(
    `select app_private.expire_bookings(${at}, $2) as n from app_public.bookings b where b.id = $1`, [bookings[1], batch])).rows[0].n;
  const statuses = async () => Promise.all(bookings.map(async (id) => (await row(id)).status));

  // Due by one millisecond before hold 1 expires: holds 2, 3 and 4.
  t.equal(await expire(`b.expires_at - interval '1 millisecond'`, 2), 2, 'first batch of 2');
  t.same(await statuses(), ['held', 'held', 'held', 'expired', 'expired'], 'the two that ran out first');
  t.equal(await expire(`b.expires_at - interval '1 millisecond'`, 2), 1, 'second batch: the one left');
  t.same(await statuses(), ['held', 'held', 'expired', 'expired', 'expired']);
  t.equal(await expire(`b.expires_at - interval '1 millisecond'`, 2), 0, 'then nothing is due');
  t.same(await statuses(), ['held', 'held', 'expired', 'expired', 'expired'], 'holds due later are left alone');

  t.equal(await expire('b.expires_at', 10), 1, 'a hold expiring exactly at `at` is due');
  t.same(await statuses(), ['held', 'expired', 'expired', 'expired', 'expired']);
  for (const id of bookings.slice(1)) {
    const r = await row(id);
    t.same([r.endedReason, r.endedAtExpiry], ['hold_expired', true], 'hold_expired, ended at its expiry');
  }

  const { rows } = await pool.query<{ n: number }>('select app_private.expire_bookings(now(), 1000) as n');
  t.ok(rows[0].n >= 1, 'a sweep at now expires the last aged hold (and any other test\'s)');
  t.equal((await row(bookings[0])).status, 'expired', 'hold 0 too');
  t.equal((await row(live)).status, 'held', 'the live hold is never touched');
  t.same(await availability(event.eventId), { available: 5, held: 1, sold: 0, total: 6 }, 'availability: only the live hold');
});

t.test('a late payment confirms when the tickets are still free', async (t) => {
  for (const swept of [false, true]) {
    await t.test(swept ? 'after the sweep marked the hold expired' : 'before any sweep', async (t) => {
      const event = await makeEvent(pool, { tickets: 2, holdSeconds: 60 });
      const [ann] = await loginMany(server, 1);
      const annHold = await hold(ann, event.eventId, [event.ticketIds[0]]);
      const checkout = await server.request('POST', `/bookings/${annHold.id}/checkout`, { token: ann });
      t.equal(checkout.status, 200, 'checkout started while the hold was live');
      await ageBooking(pool, annHold.id, 600);
      if (swept) {
        await runSweep();
        t.equal((await row(annHold.id)).status, 'expired', 'the sweep expired it');
      }
      t.same(await availability(event.eventId), { available: 2, held: 0, sold: 0, total: 2 }, 'the ticket is free meanwhile');

      const paid = await server.request('POST', payPath(checkout.body.checkoutUrl), { headers: asJson });
      t.equal(paid.status, 200, 'pay: 200');
      t.same(paid.body, { bookingStatus: 'confirmed', endedReason: null }, 'the late payment confirms the booking');
      const confirm = await server.request('POST', `/bookings/${annHold.id}/confirm`, { token: ann });
      t.equal(confirm.status, 200, 'confirm: 200');
      t.equal(confirm.body.status, 'confirmed', 'confirmed');
      t.equal(confirm.body.endedReason, null, 'no ended reason any more');
      t.equal(confirm.body.endedAt, null, 'no end');
      t.same(confirm.body.tickets.map((x: { status: string }) => x.status), ['sold'], 'its ticket is sold');
      t.same(await availability(event.eventId), { available: 1, held: 0, sold: 1, total: 2 }, 'counted as sold');

      const [bob] = await loginMany(server, 1);
      const bobTry = await server.request('POST', '/bookings', { token: bob, body: { eventId: event.eventId, ticketIds: [event.ticketIds[0]] } });
      t.equal(bobTry.status, 409, 'nobody else can hold it now');
      t.equal(bobTry.body.error.code, 'TICKETS_UNAVAILABLE');
      await runSweep();
      t.equal((await row(annHold.id)).status, 'confirmed', 'a later sweep leaves the confirmed booking alone');
    });
  }

  await t.test('when someone held the ticket meanwhile but released it again', async (t) => {
    const event = await makeEvent(pool, { tickets: 1, holdSeconds: 60 });
    const [ann, bob] = await loginMany(server, 2);
    const annHold = await hold(ann, event.eventId, [event.ticketIds[0]]);
    const checkout = await server.request('POST', `/bookings/${annHold.id}/checkout`, { token: ann });
    await ageBooking(pool, annHold.id, 600);
    const bobHold = await hold(bob, event.eventId, [event.ticketIds[0]]);
    const released = await server.request('DELETE', `/bookings/${bobHold.id}`, { token: bob });
    t.equal(released.body.status, 'cancelled', 'Bob held it and let it go');
    const paid = await server.request('POST', payPath(checkout.body.checkoutUrl), { headers: asJson });
    t.same(paid.body, { bookingStatus: 'confirmed', endedReason: null }, 'Ann\'s late payment confirms');
    t.same(await availability(event.eventId), { available: 0, held: 0, sold: 1, total: 1 }, 'sold');
  });
});

t.test('a late payment whose ticket someone else took: 409 TICKETS_TAKEN, and the other hold is untouched', async (t) => {
  const event = await makeEvent(pool, { tickets: 2, holdSeconds: 60 });
  const [ann, bob] = await loginMany(server, 2);
  const annHold = await hold(ann, event.eventId, [event.ticketIds[0], event.ticketIds[1]]);
  const checkout = await server.request('POST', `/bookings/${annHold.id}/checkout`, { token: ann });
  t.equal(checkout.status, 200);
  await ageBooking(pool, annHold.id, 600);
  // Bob takes one of Ann's two tickets after her hold ran out.
  const bobHold = await hold(bob, event.eventId, [event.ticketIds[1]]);
  const bobBefore = await row(bobHold.id);

  const paid = await server.request('POST', payPath(checkout.body.checkoutUrl), { headers: asJson });
  t.equal(paid.status, 200, 'the provider\'s callback is accepted');
  t.same(paid.body, { bookingStatus: 'expired', endedReason: 'tickets_taken' }, 'but the booking could not be confirmed');

  const confirm = await server.request('POST', `/bookings/${annHold.id}/confirm`, { token: ann });
  t.equal(confirm.status, 409, 'confirm: 409');
  t.equal(confirm.body.error.code, 'TICKETS_TAKEN', 'TICKETS_TAKEN');
  t.equal(confirm.body.error.details.booking?.status, 'expired', 'details carry the booking, expired');
  t.equal(confirm.body.error.details.booking?.endedReason, 'tickets_taken', 'because its tickets were taken');
  const again = await server.request('POST', `/bookings/${annHold.id}/confirm`, { token: ann });
  t.equal(again.status, 409, 'asking again answers the same');
  t.equal(again.body.error.code, 'TICKETS_TAKEN');

  const annView = await server.request('GET', `/bookings/${annHold.id}`, { token: ann });
  t.equal(annView.body.status, 'expired', 'Ann\'s booking is expired');
  t.equal(annView.body.endedReason, 'tickets_taken', 'endedReason tickets_taken');
  t.same(annView.body.tickets.map((x: { status: string }) => x.status), ['available', 'held'],
    'none of her tickets became hers: the free one stays available, Bob\'s stays held');

  t.same(await row(bobHold.id), bobBefore, 'Bob\'s hold is untouched (status and claim)');
  const bobView = await server.request('GET', `/bookings/${bobHold.id}`, { token: bob });
  t.equal(bobView.body.status, 'held', 'Bob still holds his ticket');
  t.equal(bobView.body.expiresAt, bobHold.expiresAt, 'until the same time');
  t.same(await availability(event.eventId), { available: 1, held: 1, sold: 0, total: 2 }, 'one held by Bob, nothing sold');

  const { rows } = await pool.query('select status from app_public.payments where id = $1', [checkout.body.paymentId]);
  t.same(rows, [{ status: 'paid' }], 'Ann\'s money is on record as paid (for a refund)');
  await runSweep();
  t.equal((await row(annHold.id)).endedReason, 'tickets_taken', 'the sweep does not rewrite why it ended');
  t.equal((await row(bobHold.id)).status, 'held', 'nor touch Bob\'s live hold');
});

t.test('a late payment does not let a buyer pass the per-person limit', async (t) => {
  // Ann may have 2. She holds 2 and opens the checkout, lets the hold run out, holds 2 others (allowed:
  // the first hold no longer counts), then pays the first checkout late. She must not end up with 4.
  const event = await makeEvent(pool, { tickets: 4, holdSeconds: 60, maxTicketsPerUser: 2 });
  const [ann] = await loginMany(server, 1);
  const first = await hold(ann, event.eventId, event.ticketIds.slice(0, 2));
  const checkout = await server.request('POST', `/bookings/${first.id}/checkout`, { token: ann });
  await ageBooking(pool, first.id, 120);
  const second = await server.request('POST', '/bookings', { token: ann, body: { eventId: event.eventId, ticketIds: event.ticketIds.slice(2, 4) } });
  t.equal(second.status, 201, 'the second hold is within the limit');

  const paid = await server.request('POST', payPath(checkout.body.checkoutUrl), { headers: asJson });
  t.ok(paid.status < 500, 'the late callback is no server error');
  const { rows } = await pool.query<{ n: number }>(
    `select count(*)::int as n from app_public.booking_tickets c join app_public.bookings b on b.id = c.booking_id
      where b.event_id = $1 and b.status in ('held', 'confirmed') and c.claimed && tstzrange(now(), 'infinity')`, [event.eventId]);
  t.ok(rows[0].n <= 2, `Ann holds or owns at most 2 tickets (has ${rows[0].n})`);
});
