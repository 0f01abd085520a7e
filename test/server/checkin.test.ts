// POST /checkin with the door scanners' key: a genuine code from the confirmation mail admits once;
// a second scan, a forged or altered code, a refunded booking's ticket, and a caller without the key
// are refused.
import t from 'tap';
import { loadConfig } from '../../lib/config.ts';
import { ticketCode } from '../../lib/tickets.ts';
import { makeEvent, ownerPool, testDatabaseUrl } from '../helpers/db.ts';
import { loginMany } from '../helpers/observe.ts';
import { startTestServer } from '../helpers/server.ts';

const server = await startTestServer({ CHECKIN_API_KEY: 'door-key-test', TICKET_SIGNING_SECRET: 'ticket-secret-test' });
const pool = ownerPool(4);
t.teardown(async () => {
  await server.close();
  await pool.end();
});
const scanner = { authorization: 'Bearer door-key-test' };
const scan = (code: string, headers: Record<string, string> = scanner) => server.request('POST', '/checkin', { body: { code }, headers });

async function confirmed(tickets: number) {
  const event = await makeEvent(pool, { tickets });
  const [ann] = await loginMany(server, 1);
  const hold = await server.request('POST', '/bookings', { token: ann, body: { eventId: event.eventId, ticketIds: event.ticketIds } });
  const checkout = await server.request('POST', `/bookings/${hold.body.id}/checkout`, { token: ann });
  await server.request('POST', `${new URL(checkout.body.checkoutUrl).pathname}/pay`, { headers: { accept: 'application/json' } });
  return { bookingId: hold.body.id as string, ticketIds: event.ticketIds, paymentId: checkout.body.paymentId as string, eventId: event.eventId };
}

t.test('a genuine code admits once; the second scan is refused', async (t) => {
  const b = await confirmed(2);
  const code = ticketCode('ticket-secret-test', b.bookingId, b.ticketIds[0]);
  const scans = await Promise.all(Array.from({ length: 5 }, () => scan(code)));
  t.same(scans.map((s) => s.status).sort(), [200, 409, 409, 409, 409], 'five scanners at once: one admits');
  const ok = scans.find((s) => s.status === 200)!;
  t.same({ ...ok.body, checkedInAt: typeof ok.body.checkedInAt }, { admitted: true, bookingId: b.bookingId, ticketId: b.ticketIds[0], eventId: b.eventId, checkedInAt: 'string' });
  t.ok(scans.filter((s) => s.status === 409).every((s) => s.body.error.code === 'ALREADY_CHECKED_IN'));
  t.equal((await scan(ticketCode('ticket-secret-test', b.bookingId, b.ticketIds[1]))).status, 200, 'the other ticket of the booking is its own');
});

t.test('forged, altered or malformed codes are refused', async (t) => {
  const b = await confirmed(1);
  const genuine = ticketCode('ticket-secret-test', b.bookingId, b.ticketIds[0]);
  const forged = ticketCode('someone-elses-secret', b.bookingId, b.ticketIds[0]);
  const altered = genuine.replace(b.ticketIds[0], '00000000-0000-4000-8000-000000000000');
  for (const [name, code] of [['forged', forged], ['altered', altered], ['malformed', 'hello'], ['truncated', genuine.slice(0, -2)]]) {
    const res = await scan(code);
    t.equal(res.status, 422, name);
    t.equal(res.body.error.code, 'INVALID_TICKET_CODE', name);
  }
});

t.test('a ticket of a refunded or released booking is refused', async (t) => {
  const b = await confirmed(1);
  await pool.query('select app_private.request_refund($1, (select amount from app_public.payments where id = $1))', [b.paymentId]);
  const refundId = (await pool.query('select id from app_public.refunds where payment_id = $1', [b.paymentId])).rows[0].id;
  await pool.query(`select app_private.record_refund_result($1, 'succeeded', 'dev_re_test')`, [refundId]);
  const res = await scan(ticketCode('ticket-secret-test', b.bookingId, b.ticketIds[0]));
  t.equal(res.status, 409);
  t.equal(res.body.error.code, 'TICKET_NOT_VALID');

  const event = await makeEvent(pool, { tickets: 1 });
  const [bob] = await loginMany(server, 1);
  const hold = await server.request('POST', '/bookings', { token: bob, body: { eventId: event.eventId, ticketIds: event.ticketIds } });
  await server.request('DELETE', `/bookings/${hold.body.id}`, { token: bob });
  t.equal((await scan(ticketCode('ticket-secret-test', hold.body.id, event.ticketIds[0]))).body.error.code, 'TICKET_NOT_VALID', 'released');
});

t.test('check-in needs the scanners\' key; a buyer\'s token is not enough', async (t) => {
  const b = await confirmed(1);
  const code = ticketCode('ticket-secret-test', b.bookingId, b.ticketIds[0]);
  const [buyer] = await loginMany(server, 1);
  for (const [name, headers] of [['no key', {}], ['wrong key', { authorization: 'Bearer nope' }], ['a user token', { authorization: `Bearer ${buyer}` }]] as const) {
    const res = await scan(code, headers);
    t.equal(res.status, 401, name);
    t.equal(res.body.error.code, 'CHECKIN_KEY_REQUIRED', name);
  }
  t.equal((await scan(code)).status, 200, 'the ticket was not used up by the refused calls');
});

t.test('production without CHECKIN_API_KEY has no check-in route', async (t) => {
  const config = loadConfig({ NODE_ENV: 'production', AUTHENTICATOR_PASSWORD: 'x', TICKET_SIGNING_SECRET: 'y', DATABASE_URL: testDatabaseUrl() });
  t.equal(config.checkinApiKey, null);
});
