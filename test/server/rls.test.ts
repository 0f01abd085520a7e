// Row-level security seen from outside: another user's booking cannot be read, cancelled, paid or
// confirmed through REST or GraphQL, anonymous callers see no bookings, and draft events do not exist
// for anyone but admins.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { makeEvent, ownerPool } from '../helpers/db.ts';
import { graphql, loginMany, writesFor } from '../helpers/observe.ts';
import { startTestServer } from '../helpers/server.ts';

const pool = ownerPool(4);
const server = await startTestServer();
t.teardown(async () => {
  await server.close();
  await pool.end();
});

const event = await makeEvent(pool, { tickets: 4 });
const [ann, bob] = await loginMany(server, 2);
const hold = async (token: string, ticketId: string) => {
  const res = await server.request('POST', '/bookings', { token, body: { eventId: event.eventId, ticketIds: [ticketId] } });
  if (res.status !== 201) throw new Error(`hold failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; status: string; expiresAt: string };
};
const annBooking = await hold(ann, event.ticketIds[0]);
const bobBooking = await hold(bob, event.ticketIds[1]);

/** Ann's booking as the database holds it (owner pool, past RLS). */
async function annRow() {
  const { rows } = await pool.query(
    `select b.status, b.expires_at, (select array_agg(c.claimed::text) from app_public.booking_tickets c where c.booking_id = b.id) as claims,
            (select count(*)::int from app_public.payments p where p.booking_id = b.id) as payments
       from app_public.bookings b where b.id = $1`, [annBooking.id]);
  return rows[0];
}
const annAtStart = await annRow();

t.test('REST: someone else\'s booking answers exactly like an unknown one', async (t) => {
  const unknown = randomUUID();
  const cases = [
    ['GET', ''],
    ['DELETE', ''],
    ['POST', '/checkout'],
    ['POST', '/confirm'],
  ] as const;
  for (const [method, suffix] of cases) {
    await t.test(`${method} /bookings/:id${suffix}`, async (t) => {
      const theirs = await server.request(method, `/bookings/${annBooking.id}${suffix}`, { token: bob });
      t.equal(theirs.status, 404, '404');
      t.equal(theirs.body.error.code, 'BOOKING_NOT_FOUND', 'BOOKING_NOT_FOUND');
      t.same(theirs.body.error.details, { bookingId: annBooking.id }, 'details name only the id that was asked for');
      t.notMatch(JSON.stringify(theirs.body), new RegExp(event.ticketIds[0]), 'nothing of the booking leaks');
      const none = await server.request(method, `/bookings/${unknown}${suffix}`, { token: bob });
      t.same({ status: none.status, code: none.body.error.code, message: none.body.error.message },
        { status: theirs.status, code: theirs.body.error.code, message: theirs.body.error.message },
        'an unknown id answers the same');
      t.same(await annRow(), annAtStart, 'Ann\'s booking is untouched (still held, same claim, no payment)');
    });
  }
  await t.test('the owner still sees it', async (t) => {
    const own = await server.request('GET', `/bookings/${annBooking.id}`, { token: ann });
    t.equal(own.status, 200);
    t.equal(own.body.id, annBooking.id);
    t.equal(own.body.status, 'held');
  });
});

t.test('GraphQL: a user sees only their own bookings, claims, payments and user row', async (t) => {
  const checkout = await server.request('POST', `/bookings/${annBooking.id}/checkout`, { token: ann });
  t.equal(checkout.status, 200, 'Ann starts paying, so that she has a payment');
  t.teardown(() => pool.query('delete from app_public.payments where booking_id = $1', [annBooking.id]));

  const list = `{
    allBookings { nodes { rowId userId status } }
    allBookingTickets { nodes { bookingId ticketId } }
    allPayments { nodes { rowId bookingId } }
    allUsers { nodes { rowId } }
    currentUserId
  }`;
  const asBob = await graphql(server, list, {}, bob);
  t.same(asBob.errors, [], 'no errors');
  t.same(asBob.data.allBookings.nodes.map((n: { rowId: string }) => n.rowId), [bobBooking.id], 'Bob lists only his booking');
  t.same(asBob.data.allBookingTickets.nodes, [{ bookingId: bobBooking.id, ticketId: event.ticketIds[1] }], 'and only his claim');
  t.same(asBob.data.allPayments.nodes, [], 'and none of Ann\'s payments');
  t.same(asBob.data.allUsers.nodes, [{ rowId: asBob.data.currentUserId }], 'and only himself among users');

  const asAnn = await graphql(server, list, {}, ann);
  t.same(asAnn.data.allBookings.nodes.map((n: { rowId: string }) => n.rowId), [annBooking.id], 'Ann lists only hers');
  t.same(asAnn.data.allPayments.nodes.map((n: { bookingId: string }) => n.bookingId), [annBooking.id], 'with her payment');

  const one = `query($id: UUID!) { bookingByRowId(rowId: $id) { id rowId status totalAmount } }`;
  const annSees = await graphql(server, one, { id: annBooking.id }, ann);
  t.equal(annSees.data.bookingByRowId?.rowId, annBooking.id, 'Ann reads her booking by id');
  const bobSees = await graphql(server, one, { id: annBooking.id }, bob);
  t.same(bobSees.errors, [], 'no error for Bob');
  t.equal(bobSees.data.bookingByRowId, null, 'Bob reads null for Ann\'s booking');
  const byNode = await graphql(server, `query($id: ID!) { node(id: $id) { id } }`, { id: annSees.data.bookingByRowId.id }, bob);
  t.same(byNode.errors, [], 'the node query itself is fine');
  t.equal(byNode.data.node, null, 'nor through the global node id');
  const byTicket = await graphql(server, `query($id: UUID!) { ticketByRowId(rowId: $id) { status bookingTicketsByEventIdAndTicketId { nodes { bookingId } } } }`,
    { id: event.ticketIds[0] }, bob);
  t.equal(byTicket.data.ticketByRowId.status, 'held', 'Bob may see that Ann\'s ticket is held');
  t.same(byTicket.data.ticketByRowId.bookingTicketsByEventIdAndTicketId.nodes, [], 'but not by which booking');
});

t.test('GraphQL: mutations on someone else\'s booking fail and change nothing', async (t) => {
  const before = await annRow();
  const mutations = [
    ['cancelBooking', `mutation($id: UUID!) { cancelBooking(input: { bookingId: $id }) { result { rowId status } } }`],
    ['startCheckout', `mutation($id: UUID!) { startCheckout(input: { bookingId: $id }) { result { rowId } } }`],
    ['confirmBooking', `mutation($id: UUID!) { confirmBooking(input: { bookingId: $id }) { result { rowId status } } }`],
  ] as const;
  for (const [name, query] of mutations) {
    const res = await graphql(server, query, { id: annBooking.id }, bob);
    t.ok(res.errors.length > 0, `${name} as Bob answers an error`);
    t.match(res.errors[0]?.message, /No such booking/, `${name}: the same "no such booking" as for an unknown id`);
    t.equal(res.data?.[name] ?? null, null, `${name} returns no booking`);
    t.same(await annRow(), before, `${name} left Ann's booking as it was`);
  }
});

t.test('GraphQL: anonymous callers see no bookings and cannot book', async (t) => {
  const res = await graphql(server, `query($id: UUID!) {
    allBookings { nodes { rowId } }
    allBookingTickets { nodes { bookingId } }
    allPayments { nodes { rowId } }
    allUsers { nodes { rowId } }
    bookingByRowId(rowId: $id) { rowId }
    currentUserId
  }`, { id: annBooking.id });
  t.same(res.errors, [], 'no errors');
  t.same(res.data, {
    allBookings: { nodes: [] }, allBookingTickets: { nodes: [] }, allPayments: { nodes: [] }, allUsers: { nodes: [] },
    bookingByRowId: null, currentUserId: null,
  }, 'nothing of anybody');

  const before = await writesFor(pool, event.eventId);
  const create = await graphql(server, `mutation($e: UUID!, $t: [UUID]) { createBooking(input: { eventId: $e, ticketIds: $t }) { result { rowId } } }`,
    { e: event.eventId, t: [event.ticketIds[2]] });
  t.ok(create.errors.length > 0, 'createBooking without a token answers an error');
  t.match(create.errors[0]?.message, /Sign in/, 'asking to sign in');
  t.same(await writesFor(pool, event.eventId), before, 'nothing written');

  const rest = await server.request('GET', `/bookings/${annBooking.id}`);
  t.equal(rest.status, 401, 'REST without a token: 401');
  t.equal(rest.body.error.code, 'AUTH_REQUIRED');
});

t.test('draft events are invisible to visitors, signed in or not', async (t) => {
  const title = `Secret show ${randomUUID().slice(0, 8)}`;
  const draft = await makeEvent(pool, { tickets: 2, status: 'draft', title });
  const published = await makeEvent(pool, { tickets: 2, title: `${title} (public)` });

  for (const [who, token] of [['anonymous', undefined], ['signed in', bob]] as const) {
    await t.test(who, async (t) => {
      const one = await server.request('GET', `/events/${draft.eventId}`, { token });
      t.equal(one.status, 404, 'GET /events/:id: 404');
      t.equal(one.body.error.code, 'EVENT_NOT_FOUND', 'EVENT_NOT_FOUND');
      const tickets = await server.request('GET', `/events/${draft.eventId}/tickets`, { token });
      t.equal(tickets.status, 404, 'GET /events/:id/tickets: 404');
      t.equal(tickets.body.error.code, 'EVENT_NOT_FOUND');
      const list = await server.request('GET', `/events?q=${encodeURIComponent(title)}`, { token });
      t.equal(list.status, 200);
      t.same(list.body.items.map((e: { id: string }) => e.id), [published.eventId], 'the search lists only the published event');

      const gql = await graphql(server, `query($id: UUID!, $ticket: UUID!, $tier: UUID!) {
        eventByRowId(rowId: $id) { rowId }
        allEvents(condition: { rowId: $id }) { nodes { rowId } }
        allTickets(condition: { eventId: $id }) { nodes { rowId } }
        ticketByRowId(rowId: $ticket) { rowId }
        allPriceTiers(condition: { eventId: $id }) { nodes { rowId } }
        priceTierByRowId(rowId: $tier) { rowId }
      }`, { id: draft.eventId, ticket: draft.ticketIds[0], tier: draft.tierIds[0] }, token);
      t.same(gql.errors, [], 'no errors');
      t.same(gql.data, {
        eventByRowId: null, allEvents: { nodes: [] }, allTickets: { nodes: [] }, ticketByRowId: null,
        allPriceTiers: { nodes: [] }, priceTierByRowId: null,
      }, 'GraphQL shows nothing of the draft, its tickets or its prices');
      const visible = await graphql(server, `query($id: UUID!) { eventByRowId(rowId: $id) { rowId } }`, { id: published.eventId }, token);
      t.equal(visible.data.eventByRowId?.rowId, published.eventId, 'while the published event is there');
    });
  }
});
