// A booking's life over HTTP, as a buyer sees it: hold, look at it, start paying, pay on the dev
// provider's page, confirm (idempotently); release a hold and see its ticket free again; hold general
// admission places by price tier; list tickets by status; page through an event's tickets.
import t from 'tap';
import { makeEvent, ownerPool } from '../helpers/db.ts';
import { loginMany } from '../helpers/observe.ts';
import { startTestServer } from '../helpers/server.ts';

const pool = ownerPool(4);
const server = await startTestServer();
t.teardown(async () => {
  await server.close();
  await pool.end();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ids = (items: Array<{ id: string }>) => items.map((x) => x.id);
const pathOf = (url: string) => new URL(url).pathname;

async function availability(eventId: string) {
  const res = await server.request('GET', `/events/${eventId}`);
  return res.body.availability;
}

t.test('hold, pay on the dev page, confirm: the whole way', async (t) => {
  // Seated: tickets 0 and 1 are Front (75.00), 2 and 3 are Back (25.00).
  const event = await makeEvent(pool, { tickets: 4, seated: true, holdSeconds: 120,
    tiers: [{ name: 'Front', amount: 7500 }, { name: 'Back', amount: 2500 }] });
  const [buyer] = await loginMany(server, 1);

  const askedAt = Date.now();
  const hold = await server.request('POST', '/bookings', { token: buyer, body: { eventId: event.eventId, ticketIds: [event.ticketIds[2], event.ticketIds[0]] } });
  t.equal(hold.status, 201, 'hold: 201');
  const booking = hold.body;
  t.match(booking.id, UUID, 'with an id');
  t.equal(booking.status, 'held', 'status held');
  t.equal(booking.eventId, event.eventId);
  t.same(ids(booking.tickets), [event.ticketIds[0], event.ticketIds[2]], 'both tickets, in layout order');
  t.same(booking.tickets.map((x: { price: unknown }) => x.price), [{ amount: 7500, currency: 'EUR' }, { amount: 2500, currency: 'EUR' }],
    'each at its tier\'s price');
  t.same(booking.tickets.map((x: { row: string; seat: number; section: string }) => [x.section, x.row, x.seat]), [['A', '1', 1], ['A', '1', 3]],
    'with section, row and seat');
  t.same(booking.total, { amount: 10000, currency: 'EUR' }, 'total is the sum of the tier prices');
  t.equal(Date.parse(booking.expiresAt) - Date.parse(booking.createdAt), 120_000, 'the hold lasts the event\'s holdSeconds');
  t.ok(Math.abs(Date.parse(booking.expiresAt) - (askedAt + 120_000)) < 10_000, 'expiresAt is about now + holdSeconds');
  t.equal(booking.confirmedAt, null, 'not confirmed yet');
  t.same(await availability(event.eventId), { available: 2, held: 2, sold: 0, total: 4 }, 'the event counts two held');

  const read = await server.request('GET', `/bookings/${booking.id}`, { token: buyer });
  t.equal(read.status, 200, 'GET own booking: 200');
  t.same(read.body, booking, 'the same booking as the hold answered');

  const unpaid = await server.request('POST', `/bookings/${booking.id}/confirm`, { token: buyer });
  t.equal(unpaid.status, 402, 'confirm before paying: 402');
  t.equal(unpaid.body.error.code, 'PAYMENT_REQUIRED', 'PAYMENT_REQUIRED');
  t.equal(unpaid.body.error.details.status, 'held');

  const checkout = await server.request('POST', `/bookings/${booking.id}/checkout`, { token: buyer });
  t.equal(checkout.status, 200, 'checkout: 200');
  t.match(checkout.body.paymentId, UUID, 'a payment id');
  t.equal(checkout.body.provider, 'dev', 'the dev provider');
  t.equal(checkout.body.checkoutUrl, `${server.url}/dev/checkout/${checkout.body.paymentId}`, 'a checkout URL on this server');
  t.equal(checkout.body.expiresAt, booking.expiresAt, 'the payment is open as long as the hold');
  const again = await server.request('POST', `/bookings/${booking.id}/checkout`, { token: buyer });
  t.equal(again.body.paymentId, checkout.body.paymentId, 'checkout again: the same open payment');

  const stillUnpaid = await server.request('POST', `/bookings/${booking.id}/confirm`, { token: buyer });
  t.equal(stillUnpaid.status, 402, 'confirm after starting checkout but before paying: still 402');
  t.equal(stillUnpaid.body.error.code, 'PAYMENT_REQUIRED');

  const page = await server.request('GET', pathOf(checkout.body.checkoutUrl));
  t.equal(page.status, 200, 'the checkout page opens');
  t.match(page.body, /Amount: 10000 \(minor units of EUR\)/, 'and shows the amount');
  t.match(page.body, /<button[^>]*>Pay<\/button>/, 'with a Pay button');

  // Pressing Pay the way a browser does: the form posts an empty urlencoded body and wants HTML.
  const paid = await server.request('POST', `${pathOf(checkout.body.checkoutUrl)}/pay`,
    { body: '', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' } });
  t.equal(paid.status, 200, 'pay from the page: 200');
  t.match(paid.body, /Paid\. Your booking is confirmed\./, 'the page says the booking is confirmed');

  const confirmed = await server.request('POST', `/bookings/${booking.id}/confirm`, { token: buyer });
  t.equal(confirmed.status, 200, 'confirm: 200');
  t.equal(confirmed.body.status, 'confirmed', 'status confirmed');
  t.type(confirmed.body.confirmedAt, 'string', 'with confirmedAt');
  t.same(confirmed.body.tickets.map((x: { status: string }) => x.status), ['sold', 'sold'], 'its tickets are sold');
  const confirmedAgain = await server.request('POST', `/bookings/${booking.id}/confirm`, { token: buyer });
  t.equal(confirmedAgain.status, 200, 'confirm again: 200');
  t.same(confirmedAgain.body, confirmed.body, 'unchanged (idempotent)');

  const paidAgain = await server.request('POST', `${pathOf(checkout.body.checkoutUrl)}/pay`, { headers: { accept: 'application/json' } });
  t.same(paidAgain.body, { bookingStatus: 'confirmed', endedReason: null }, 'the provider calling back twice changes nothing');
  const { rows: payments } = await pool.query('select status from app_public.payments where booking_id = $1', [booking.id]);
  t.same(payments, [{ status: 'paid' }], 'one payment, paid');
  const pageAfter = await server.request('GET', pathOf(checkout.body.checkoutUrl));
  t.notMatch(pageAfter.body, /<button/, 'the checkout page no longer offers to pay');

  t.same(await availability(event.eventId), { available: 2, held: 0, sold: 2, total: 4 }, 'the event counts two sold');

  const release = await server.request('DELETE', `/bookings/${booking.id}`, { token: buyer });
  t.equal(release.status, 409, 'DELETE a confirmed booking: 409');
  t.equal(release.body.error.code, 'BOOKING_STATE_CONFLICT', 'BOOKING_STATE_CONFLICT');
  t.equal(release.body.error.details.status, 'confirmed');
  const pay2 = await server.request('POST', `/bookings/${booking.id}/checkout`, { token: buyer });
  t.equal(pay2.status, 409, 'checkout of a confirmed booking: 409');
  t.equal(pay2.body.error.code, 'BOOKING_STATE_CONFLICT');
  const after = await server.request('GET', `/bookings/${booking.id}`, { token: buyer });
  t.equal(after.body.status, 'confirmed', 'still confirmed');
  t.same(await availability(event.eventId), { available: 2, held: 0, sold: 2, total: 4 }, 'still two sold');
});

t.test('releasing a hold frees its ticket at once for someone else', async (t) => {
  const event = await makeEvent(pool, { tickets: 2 });
  const [ann, bob] = await loginMany(server, 2);
  const hold = await server.request('POST', '/bookings', { token: ann, body: { eventId: event.eventId, ticketIds: [event.ticketIds[0]] } });
  t.equal(hold.status, 201);
  const blocked = await server.request('POST', '/bookings', { token: bob, body: { eventId: event.eventId, ticketIds: [event.ticketIds[0]] } });
  t.equal(blocked.status, 409, 'while held, Bob cannot have it');
  t.equal(blocked.body.error.code, 'TICKETS_UNAVAILABLE');

  const released = await server.request('DELETE', `/bookings/${hold.body.id}`, { token: ann });
  t.equal(released.status, 200, 'DELETE: 200');
  t.equal(released.body.status, 'cancelled', 'status cancelled');
  t.equal(released.body.endedReason, 'cancelled_by_user', 'ended by the user');
  t.type(released.body.endedAt, 'string', 'with endedAt');
  t.same(released.body.tickets.map((x: { status: string }) => x.status), ['available'], 'its ticket shows available');
  t.same(await availability(event.eventId), { available: 2, held: 0, sold: 0, total: 2 }, 'nothing held any more');

  const listed = await server.request('GET', `/events/${event.eventId}/tickets?status=available`);
  t.same(ids(listed.body.items), event.ticketIds, 'the ticket is listed as available again');

  const bobs = await server.request('POST', '/bookings', { token: bob, body: { eventId: event.eventId, ticketIds: [event.ticketIds[0]] } });
  t.equal(bobs.status, 201, 'Bob holds it right away');
  t.equal(bobs.body.status, 'held');

  const releasedAgain = await server.request('DELETE', `/bookings/${hold.body.id}`, { token: ann });
  t.equal(releasedAgain.status, 200, 'DELETE again: 200');
  t.equal(releasedAgain.body.status, 'cancelled', 'still cancelled');
  t.equal(releasedAgain.body.endedAt, released.body.endedAt, 'unchanged');
  const bobsNow = await server.request('GET', `/bookings/${bobs.body.id}`, { token: bob });
  t.equal(bobsNow.body.status, 'held', 'and Bob\'s hold is untouched by it');

  const checkout = await server.request('POST', `/bookings/${hold.body.id}/checkout`, { token: ann });
  t.equal(checkout.status, 409, 'a released hold cannot be paid for');
  t.equal(checkout.body.error.code, 'BOOKING_STATE_CONFLICT');
  t.equal(checkout.body.error.details.status, 'cancelled');
});

t.test('a payment that succeeds after its hold was released is recorded, not lost', async (t) => {
  // The buyer opens the provider's page, releases the hold in another tab, then pays: the provider has
  // the money, so Boxoffice must keep a record of it (to refund it) rather than refuse the callback.
  const event = await makeEvent(pool, { tickets: 1 });
  const [buyer] = await loginMany(server, 1);
  const hold = await server.request('POST', '/bookings', { token: buyer, body: { eventId: event.eventId, ticketIds: [event.ticketIds[0]] } });
  const checkout = await server.request('POST', `/bookings/${hold.body.id}/checkout`, { token: buyer });
  t.equal(checkout.status, 200);
  const released = await server.request('DELETE', `/bookings/${hold.body.id}`, { token: buyer });
  t.equal(released.body.status, 'cancelled');

  const paid = await server.request('POST', `${pathOf(checkout.body.checkoutUrl)}/pay`, { headers: { accept: 'application/json' } });
  t.equal(paid.status, 200, 'the provider\'s callback is accepted');
  t.same(paid.body, { bookingStatus: 'cancelled', endedReason: 'cancelled_by_user' }, 'and says the booking stays released');
  const { rows } = await pool.query(
    `select p.status as payment, b.status as booking from app_public.payments p join app_public.bookings b on b.id = p.booking_id
      where p.id = $1`, [checkout.body.paymentId]);
  t.same(rows, [{ payment: 'paid', booking: 'cancelled' }], 'the payment is recorded as paid; the booking stays cancelled');
  t.same(await availability(event.eventId), { available: 1, held: 0, sold: 0, total: 1 }, 'the ticket stays free');
  const confirm = await server.request('POST', `/bookings/${hold.body.id}/confirm`, { token: buyer });
  t.equal(confirm.status, 409, 'confirming the released booking: 409');
  t.equal(confirm.body.error.code, 'BOOKING_STATE_CONFLICT', 'BOOKING_STATE_CONFLICT');
  t.equal(confirm.body.error.details.status, 'cancelled');
});

t.test('releasing a hold closes its open checkout', async (t) => {
  const event = await makeEvent(pool, { tickets: 1 });
  const [buyer] = await loginMany(server, 1);
  const hold = await server.request('POST', '/bookings', { token: buyer, body: { eventId: event.eventId, ticketIds: [event.ticketIds[0]] } });
  const checkout = await server.request('POST', `/bookings/${hold.body.id}/checkout`, { token: buyer });
  const before = await server.request('GET', pathOf(checkout.body.checkoutUrl));
  t.match(before.body, /<button[^>]*>Pay<\/button>/, 'while held, the checkout page offers to pay');
  const released = await server.request('DELETE', `/bookings/${hold.body.id}`, { token: buyer });
  t.equal(released.body.status, 'cancelled');
  const after = await server.request('GET', pathOf(checkout.body.checkoutUrl));
  t.equal(after.status, 200, 'the page still opens');
  t.notMatch(after.body, /<button/, 'but no longer offers to pay for tickets the buyer gave back');
  const { rows } = await pool.query('select status from app_public.payments where id = $1', [checkout.body.paymentId]);
  t.not(rows[0].status, 'pending', 'the payment attempt is no longer open');
});

t.test('general admission by price tier and quantity: N distinct places, best first', async (t) => {
  // Tickets 0-3 are Floor (30.00), 4-7 are Balcony (20.00).
  const event = await makeEvent(pool, { tickets: 8, tiers: [{ name: 'Floor', amount: 3000 }, { name: 'Balcony', amount: 2000 }] });
  const [ann, bob] = await loginMany(server, 2);

  const hold = await server.request('POST', '/bookings', { token: ann, body: { eventId: event.eventId, priceTierId: event.tierIds[1], quantity: 3 } });
  t.equal(hold.status, 201, '201');
  t.equal(hold.body.tickets.length, 3, 'three tickets');
  t.equal(new Set(ids(hold.body.tickets)).size, 3, 'all different');
  t.same(ids(hold.body.tickets), event.ticketIds.slice(4, 7), 'the first three Balcony places');
  t.ok(hold.body.tickets.every((x: { priceTierId: string; section: string; row: null; seat: null }) =>
    x.priceTierId === event.tierIds[1] && x.section === 'General admission' && x.row === null && x.seat === null),
  'all of the asked-for tier, general admission');
  t.same(hold.body.total, { amount: 6000, currency: 'EUR' }, 'total 3 x 20.00');

  const tooMany = await server.request('POST', '/bookings', { token: bob, body: { eventId: event.eventId, priceTierId: event.tierIds[1], quantity: 2 } });
  t.equal(tooMany.status, 409, 'two more Balcony places: 409');
  t.equal(tooMany.body.error.code, 'SOLD_OUT', 'SOLD_OUT');
  t.same(tooMany.body.error.details, { requested: 2, available: 1 }, 'one left');
  const last = await server.request('POST', '/bookings', { token: bob, body: { eventId: event.eventId, priceTierId: event.tierIds[1], quantity: 1 } });
  t.equal(last.status, 201, 'the last Balcony place');
  t.same(ids(last.body.tickets), [event.ticketIds[7]]);
  t.same(await availability(event.eventId), { available: 4, held: 4, sold: 0, total: 8 }, 'Floor untouched');
});

t.test('listing tickets by status', async (t) => {
  const event = await makeEvent(pool, { tickets: 6 });
  const [ann, bob] = await loginMany(server, 2);
  const held = await server.request('POST', '/bookings', { token: ann, body: { eventId: event.eventId, ticketIds: [event.ticketIds[1], event.ticketIds[4]] } });
  t.equal(held.status, 201);
  const sold = await server.request('POST', '/bookings', { token: bob, body: { eventId: event.eventId, ticketIds: [event.ticketIds[2]] } });
  const checkout = await server.request('POST', `/bookings/${sold.body.id}/checkout`, { token: bob });
  await server.request('POST', `${pathOf(checkout.body.checkoutUrl)}/pay`, { headers: { accept: 'application/json' } });

  const available = await server.request('GET', `/events/${event.eventId}/tickets?status=available`);
  t.equal(available.status, 200);
  t.same(ids(available.body.items), [event.ticketIds[0], event.ticketIds[3], event.ticketIds[5]], 'available: neither the held nor the sold ones');
  t.ok(available.body.items.every((x: { status: string }) => x.status === 'available'), 'each says available');
  t.equal(available.body.nextCursor, null, 'one page');
  const heldList = await server.request('GET', `/events/${event.eventId}/tickets?status=held`);
  t.same(ids(heldList.body.items), [event.ticketIds[1], event.ticketIds[4]], 'held: the held ones');
  const soldList = await server.request('GET', `/events/${event.eventId}/tickets?status=sold`);
  t.same(ids(soldList.body.items), [event.ticketIds[2]], 'sold: the paid one');
  const all = await server.request('GET', `/events/${event.eventId}/tickets`);
  t.same(all.body.items.map((x: { status: string }) => x.status), ['available', 'held', 'sold', 'available', 'held', 'available'],
    'without a filter: all, each with its status');
  t.same(await availability(event.eventId), { available: 3, held: 2, sold: 1, total: 6 }, 'and the counts agree');
});

t.test('keyset paging of an event\'s tickets returns every ticket exactly once', async (t) => {
  const event = await makeEvent(pool, { tickets: 23, seated: true });
  const [ann] = await loginMany(server, 1);

  async function pages(query: string) {
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 50; i++) {
      const res: { status: number; body: { items: Array<{ id: string }>; nextCursor: string | null } } =
        await server.request('GET', `/events/${event.eventId}/tickets?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      if (res.status !== 200) throw new Error(`page ${i}: ${res.status} ${JSON.stringify(res.body)}`);
      seen.push(...ids(res.body.items));
      sizes.push(res.body.items.length);
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    return { seen, sizes };
  }

  const { seen, sizes } = await pages('limit=5');
  t.same(sizes, [5, 5, 5, 5, 3], 'five pages of at most 5; the last one says there is no next');
  t.same(seen, event.ticketIds, 'every ticket exactly once, in layout order');

  const exact = await pages('limit=23');
  t.same(exact.sizes, [23], 'a page exactly as long as the list has no next cursor');

  const hold = await server.request('POST', '/bookings', { token: ann, body: { eventId: event.eventId, ticketIds: [event.ticketIds[4], event.ticketIds[5], event.ticketIds[11]] } });
  t.equal(hold.status, 201);
  const free = await pages('status=available&limit=4');
  t.same(free.seen, event.ticketIds.filter((_, i) => ![4, 5, 11].includes(i)), 'filtered by status: every free ticket once');
  t.same(free.sizes, [4, 4, 4, 4, 4], 'in full pages');
});
