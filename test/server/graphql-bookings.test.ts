// GraphQL offers the same booking operations as REST, under the same rules and error codes.
import t from 'tap';
import { makeEvent, ownerPool } from '../helpers/db.ts';
import { startTestServer } from '../helpers/server.ts';

const pool = ownerPool(2);
const server = await startTestServer();
t.teardown(async () => {
  await server.close();
  await pool.end();
});

const HOLD = `mutation($eventId: UUID!, $ticketIds: [UUID]) {
  createBooking(input: { eventId: $eventId, ticketIds: $ticketIds }) { result { status totalAmount currency } }
}`;

t.test('createBooking holds a ticket, and a second buyer gets TICKETS_UNAVAILABLE', async (t) => {
  const event = await makeEvent(pool, { tickets: 2, tiers: [{ name: 'Standard', amount: 4200 }] });
  const variables = { eventId: event.eventId, ticketIds: [event.ticketIds[0]] };
  const first = await server.request('POST', '/graphql', { token: await server.login(), body: { query: HOLD, variables } });
  t.same(first.body.data.createBooking.result, { status: 'held', totalAmount: 4200, currency: 'EUR' });

  const second = await server.request('POST', '/graphql', { token: await server.login(), body: { query: HOLD, variables } });
  t.equal(second.body.data.createBooking, null, 'no booking for the second buyer');
  t.equal(second.body.errors[0].extensions.code, 'TICKETS_UNAVAILABLE');
  t.same(second.body.errors[0].extensions.details, { ticketIds: [event.ticketIds[0]] }, 'names the taken ticket');
});

t.test('anonymous createBooking is refused with AUTH_REQUIRED and writes nothing', async (t) => {
  const event = await makeEvent(pool, { tickets: 1 });
  const res = await server.request('POST', '/graphql', { body: { query: HOLD, variables: { eventId: event.eventId, ticketIds: event.ticketIds } } });
  t.equal(res.body.errors[0].extensions.code, 'AUTH_REQUIRED');
  const { rows } = await pool.query('select count(*)::int as n from app_public.bookings where event_id = $1', [event.eventId]);
  t.equal(rows[0].n, 0);
});

t.test('events show availability through GraphQL', async (t) => {
  const event = await makeEvent(pool, { tickets: 4, title: `GraphQL availability ${Date.now()}` });
  await server.request('POST', '/bookings', { token: await server.login(), body: { eventId: event.eventId, ticketIds: [event.ticketIds[1]] } });
  const res = await server.request('POST', '/graphql', {
    body: { query: `query($id: UUID!) { eventByRowId(rowId: $id) { title availability { available held sold total } } }`, variables: { id: event.eventId } },
  });
  t.same(res.body.data.eventByRowId.availability, { available: 3, held: 1, sold: 0, total: 4 });
});
