// Bad requests get the documented 4xx and error code (docs/error_codes.md), and nothing is written:
// every refusal below is checked against the row counts of bookings, their claims, payments and
// idempotency keys before and after.
import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import { loadConfig } from '../../lib/config.ts';
import { makeEvent, ownerPool } from '../helpers/db.ts';
import { signJwt, waitUntilBlocked } from '../helpers/observe.ts';
import { startTestServer } from '../helpers/server.ts';

const pool = ownerPool(4);
const server = await startTestServer();
t.teardown(async () => {
  await server.close();
  await pool.end();
});

interface Counts { bookings: number; bookingTickets: number; payments: number; idempotencyKeys: number; users: number }

/** Rows in every table a booking request could write to (tests in this file run one at a time). */
async function counts(): Promise<Counts> {
  const { rows } = await pool.query<Counts>(
    `select (select count(*) from app_public.bookings)::int as "bookings",
            (select count(*) from app_public.booking_tickets)::int as "bookingTickets",
            (select count(*) from app_public.payments)::int as "payments",
            (select count(*) from app_private.booking_idempotency_keys)::int as "idempotencyKeys",
            (select count(*) from app_public.users)::int as "users"`);
  return rows[0];
}

type Answer = Awaited<ReturnType<typeof server.request>>;

/** Sends a request and checks its status, error code and that no row was written. */
async function refused(t: Test, send: () => Promise<Answer>, status: number, code: string): Promise<Answer> {
  const before = await counts();
  const res = await send();
  t.equal(res.status, status, `HTTP ${status}`);
  t.equal(res.body?.error?.code, code, `error code ${code}`);
  t.type(res.body?.error?.message, 'string', 'with a message');
  t.same(await counts(), before, 'nothing written');
  return res;
}

/** A new signed-in user whose database row already exists (the first authenticated request creates it). */
async function newBuyer(): Promise<string> {
  const token = await server.login();
  await server.request('GET', `/bookings/${randomUUID()}`, { token });
  return token;
}

const token = await newBuyer();
const post = (body: unknown, opts: { token?: string | null; headers?: Record<string, string> } = {}) =>
  () => server.request('POST', '/bookings', { token: opts.token === null ? undefined : (opts.token ?? token), body, headers: opts.headers });

const event = await makeEvent(pool, { tickets: 6, tiers: [{ name: 'Front', amount: 9000 }, { name: 'Back', amount: 4000 }] });
const other = await makeEvent(pool, { tickets: 2 });

t.test('a body that is not JSON: 400 MALFORMED_JSON', async (t) => {
  await refused(t, post(`{"eventId": "${event.eventId}", "ticketIds": [`), 400, 'MALFORMED_JSON');
  // An empty body under content-type: application/json is no body: the booking fields are missing.
  await refused(t, post('', { headers: { 'content-type': 'application/json' } }), 400, 'VALIDATION_FAILED');
  await refused(t, post(`{"eventId": "${event.eventId}", "__proto__": {"admin": true}}`), 400, 'MALFORMED_JSON');
});

t.test('a body-less request that still says content-type: application/json is served', async (t) => {
  const booking = await server.request('POST', '/bookings', { token, body: { eventId: other.eventId, ticketIds: [other.ticketIds[1]] } });
  t.equal(booking.status, 201);
  const released = await server.request('DELETE', `/bookings/${booking.body.id}`, { token, body: '', headers: { 'content-type': 'application/json' } });
  t.equal(released.status, 200, 'DELETE answers 200');
  t.equal(released.body.status, 'cancelled', 'and the hold is released');
});

t.test('a body that is not application/json: 415 UNSUPPORTED_MEDIA_TYPE', async (t) => {
  await refused(t, post(JSON.stringify({ eventId: event.eventId, ticketIds: [event.ticketIds[0]] }),
    { headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  await refused(t, post(`eventId=${event.eventId}`, { headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    415, 'UNSUPPORTED_MEDIA_TYPE');
});

t.test('fields of the wrong type: 400 VALIDATION_FAILED naming the field', async (t) => {
  const cases: Array<[string, unknown, string]> = [
    ['eventId a number', { eventId: 12345, ticketIds: [event.ticketIds[0]] }, '/eventId'],
    ['eventId not a uuid', { eventId: 'abc', ticketIds: [event.ticketIds[0]] }, '/eventId'],
    ['ticketIds a string', { eventId: event.eventId, ticketIds: event.ticketIds[0] }, '/ticketIds'],
    ['ticketIds empty', { eventId: event.eventId, ticketIds: [] }, '/ticketIds'],
    ['a ticket id not a uuid', { eventId: event.eventId, ticketIds: ['nope'] }, '/ticketIds/0'],
    ['quantity a string', { eventId: event.eventId, priceTierId: event.tierIds[0], quantity: '2' }, '/quantity'],
    ['quantity a boolean', { eventId: event.eventId, priceTierId: event.tierIds[0], quantity: true }, '/quantity'],
    ['priceTierId null', { eventId: event.eventId, priceTierId: null, quantity: 1 }, '/priceTierId'],
    ['an unknown field', { eventId: event.eventId, ticketIds: [event.ticketIds[0]], seats: 3 }, ''],
    ['no eventId', { ticketIds: [event.ticketIds[0]] }, ''],
    ['an array body', [event.eventId], ''],
  ];
  for (const [name, body, path] of cases) {
    await t.test(name, async (t) => {
      const res = await refused(t, post(body), 400, 'VALIDATION_FAILED');
      t.ok(Array.isArray(res.body?.error?.details?.problems), 'details.problems lists what is wrong');
      if (path) t.equal(res.body?.error?.details.problems?.[0]?.path, path, `the problem is at ${path}`);
    });
  }
});

t.test('a quantity that is not a whole number from 1 to 100: 400 VALIDATION_FAILED', async (t) => {
  for (const quantity of [-1, 0, 1e9, 1.5, 101]) {
    await t.test(`quantity ${quantity}`, async (t) => {
      const res = await refused(t, post({ eventId: event.eventId, priceTierId: event.tierIds[0], quantity }), 400, 'VALIDATION_FAILED');
      t.equal(res.body?.error?.details.problems?.[0]?.path, '/quantity', 'names quantity');
    });
  }
});

t.test('an unknown event: 404 EVENT_NOT_FOUND', async (t) => {
  const eventId = randomUUID();
  const res = await refused(t, post({ eventId, ticketIds: [event.ticketIds[0]] }), 404, 'EVENT_NOT_FOUND');
  t.equal(res.body?.error?.details.eventId, eventId, 'details name the event');
  await refused(t, post({ eventId, priceTierId: event.tierIds[0], quantity: 1 }), 404, 'EVENT_NOT_FOUND');
});

t.test('tickets that do not exist or belong to another event: 422 TICKETS_NOT_FOUND', async (t) => {
  const unknown = randomUUID();
  let res = await refused(t, post({ eventId: event.eventId, ticketIds: [event.ticketIds[0], unknown] }), 422, 'TICKETS_NOT_FOUND');
  t.same(res.body?.error?.details.ticketIds, [unknown], 'details list only the unknown ticket');
  res = await refused(t, post({ eventId: event.eventId, ticketIds: [other.ticketIds[0]] }), 422, 'TICKETS_NOT_FOUND');
  t.same(res.body?.error?.details.ticketIds, [other.ticketIds[0]], 'another event\'s ticket counts as unknown');
});

t.test('meaningless combinations: 422 INVALID_BOOKING_REQUEST', async (t) => {
  let res = await refused(t, post({ eventId: event.eventId, ticketIds: [event.ticketIds[0]], priceTierId: event.tierIds[0] }),
    422, 'INVALID_BOOKING_REQUEST');
  t.equal(res.body?.error?.details.field, 'ticketIds', 'both ticketIds and priceTierId');
  res = await refused(t, post({ eventId: event.eventId }), 422, 'INVALID_BOOKING_REQUEST');
  t.equal(res.body?.error?.details.field, 'ticketIds', 'neither ticketIds nor priceTierId');
  res = await refused(t, post({ eventId: event.eventId, quantity: 2 }), 422, 'INVALID_BOOKING_REQUEST');
  t.equal(res.body?.error?.details.field, 'ticketIds', 'a quantity without a price tier');
  res = await refused(t, post({ eventId: event.eventId, ticketIds: [event.ticketIds[0]], quantity: 1 }), 422, 'INVALID_BOOKING_REQUEST');
  t.equal(res.body?.error?.details.field, 'quantity', 'quantity with ticketIds');
  res = await refused(t, post({ eventId: event.eventId, priceTierId: event.tierIds[0] }), 422, 'INVALID_BOOKING_REQUEST');
  t.equal(res.body?.error?.details.field, 'quantity', 'a price tier without a quantity');
  res = await refused(t, post({ eventId: event.eventId, ticketIds: [event.ticketIds[1], event.ticketIds[2], event.ticketIds[1]] }),
    422, 'INVALID_BOOKING_REQUEST');
  t.equal(res.body?.error?.details.field, 'ticketIds', 'a ticket listed twice');
});

t.test('a price tier that is not this event\'s: 422 PRICE_TIER_NOT_FOUND', async (t) => {
  const unknown = randomUUID();
  const res = await refused(t, post({ eventId: event.eventId, priceTierId: unknown, quantity: 1 }), 422, 'PRICE_TIER_NOT_FOUND');
  t.equal(res.body?.error?.details.priceTierId, unknown, 'details name the tier');
  await refused(t, post({ eventId: event.eventId, priceTierId: other.tierIds[0], quantity: 1 }), 422, 'PRICE_TIER_NOT_FOUND');
});

t.test('events not on sale: 409 EVENT_NOT_ON_SALE with the reason; drafts do not exist', async (t) => {
  const cases: Array<[string, Parameters<typeof makeEvent>[1], string]> = [
    ['sale not started', { saleStartsIn: '1 day' }, 'sale_not_started'],
    ['sale ended', { saleStartsIn: '-2 days', saleEndsIn: '-1 day' }, 'sale_ended'],
    ['cancelled', { status: 'cancelled' }, 'cancelled'],
    ['postponed', { status: 'postponed' }, 'postponed'],
    ['already started', { startsIn: '-1 hour', saleStartsIn: '-2 days' }, 'event_started'],
  ];
  for (const [name, opts, reason] of cases) {
    await t.test(name, async (t) => {
      const e = await makeEvent(pool, { tickets: 2, ...opts });
      let res = await refused(t, post({ eventId: e.eventId, ticketIds: [e.ticketIds[0]] }), 409, 'EVENT_NOT_ON_SALE');
      t.equal(res.body?.error?.details.reason, reason, `reason ${reason}`);
      res = await refused(t, post({ eventId: e.eventId, priceTierId: e.tierIds[0], quantity: 1 }), 409, 'EVENT_NOT_ON_SALE');
      t.equal(res.body?.error?.details.reason, reason, `reason ${reason} for a price-tier hold too`);
    });
  }
  await t.test('draft', async (t) => {
    const e = await makeEvent(pool, { tickets: 2, status: 'draft' });
    const res = await refused(t, post({ eventId: e.eventId, ticketIds: [e.ticketIds[0]] }), 404, 'EVENT_NOT_FOUND');
    t.equal(res.body?.error?.details.eventId, e.eventId);
    t.notMatch(JSON.stringify(res.body), /draft|not_published/, 'the answer does not reveal that a draft exists');
  });
});

t.test('an on-sale through the waiting room, without admission: 403 QUEUE_ADMISSION_REQUIRED', async (t) => {
  const e = await makeEvent(pool, { tickets: 2 });
  await pool.query('update app_public.events set queue_enabled = true where id = $1', [e.eventId]);
  await refused(t, post({ eventId: e.eventId, ticketIds: [e.ticketIds[0]] }), 403, 'QUEUE_ADMISSION_REQUIRED');
  await refused(t, post({ eventId: e.eventId, priceTierId: e.tierIds[0], quantity: 1 }), 403, 'QUEUE_ADMISSION_REQUIRED');
});

t.test('over the per-person limit: 409 TICKET_LIMIT_REACHED', async (t) => {
  const e = await makeEvent(pool, { tickets: 6, maxTicketsPerUser: 2 });
  const buyer = await newBuyer();
  let res = await refused(t, post({ eventId: e.eventId, ticketIds: e.ticketIds.slice(0, 3) }, { token: buyer }), 409, 'TICKET_LIMIT_REACHED');
  t.same(res.body?.error?.details, { limit: 2, alreadyHeld: 0, requested: 3 }, 'three at once');
  const first = await server.request('POST', '/bookings', { token: buyer, body: { eventId: e.eventId, ticketIds: e.ticketIds.slice(0, 2) } });
  t.equal(first.status, 201, 'two are fine');
  res = await refused(t, post({ eventId: e.eventId, ticketIds: [e.ticketIds[2]] }, { token: buyer }), 409, 'TICKET_LIMIT_REACHED');
  t.same(res.body?.error?.details, { limit: 2, alreadyHeld: 2, requested: 1 }, 'a third one later');
  res = await refused(t, post({ eventId: e.eventId, priceTierId: e.tierIds[0], quantity: 1 }, { token: buyer }), 409, 'TICKET_LIMIT_REACHED');
  t.equal(res.body?.error?.details.alreadyHeld, 2, 'by quantity too');
});

t.test('no token, or a bad one: 401', async (t) => {
  const body = { eventId: event.eventId, ticketIds: [event.ticketIds[0]] };
  await refused(t, post(body, { token: null }), 401, 'AUTH_REQUIRED');
  const someBooking = randomUUID();
  for (const [method, path] of [['GET', `/bookings/${someBooking}`], ['DELETE', `/bookings/${someBooking}`],
    ['POST', `/bookings/${someBooking}/checkout`], ['POST', `/bookings/${someBooking}/confirm`]] as const) {
    await refused(t, () => server.request(method, path), 401, 'AUTH_REQUIRED');
  }

  const config = loadConfig({ ...process.env, NODE_ENV: 'test' });
  const real = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: real.iss, sub: `${randomUUID()}@example.test`, email: 'x@example.test', iat: now, exp: now + 3600 };
  const bad: Array<[string, string]> = [
    ['garbage', 'Bearer not-a-token'],
    ['three garbage parts', 'Bearer aaa.bbb.ccc'],
    ['signed with another secret', `Bearer ${signJwt(claims, 'some-other-secret')}`],
    ['from another issuer', `Bearer ${signJwt({ ...claims, iss: 'https://issuer.example/dev' }, config.devJwtSecret)}`],
    ['expired', `Bearer ${signJwt({ ...claims, iat: now - 7200, exp: now - 3600 }, config.devJwtSecret)}`],
    ['unsigned (alg none)', `Bearer ${signJwt(claims, '', 'none')}`],
    ['without a subject', `Bearer ${signJwt({ ...claims, sub: '' }, config.devJwtSecret)}`],
    ['not a bearer token', `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['a bare token', token],
  ];
  for (const [name, authorization] of bad) {
    await t.test(name, async (t) => {
      await refused(t, post(body, { token: null, headers: { authorization } }), 401, 'INVALID_TOKEN');
      await refused(t, () => server.request('GET', `/events/${event.eventId}`, { headers: { authorization } }), 401, 'INVALID_TOKEN');
      await refused(t, () => server.request('POST', '/graphql', { headers: { authorization }, body: { query: '{ currentUserId }' } }),
        401, 'INVALID_TOKEN');
    });
  }
  await t.test('a well-made token with the right secret and issuer is accepted', async (t) => {
    const res = await server.request('GET', `/bookings/${randomUUID()}`, { headers: { authorization: `Bearer ${signJwt(claims, config.devJwtSecret)}` } });
    t.equal(res.body.error.code, 'BOOKING_NOT_FOUND', 'passes authentication (the forged tokens above differ only in what they break)');
  });
});

t.test('an id in the path that is not a uuid: 400 VALIDATION_FAILED', async (t) => {
  for (const [method, path] of [['GET', '/bookings/123'], ['DELETE', '/bookings/abc'], ['POST', '/bookings/abc/checkout'],
    ['POST', '/bookings/abc/confirm'], ['GET', '/events/not-a-uuid'], ['GET', '/events/1/tickets'],
    ['GET', `/bookings/${randomUUID()}x`]] as const) {
    const res = await refused(t, () => server.request(method, path, { token }), 400, 'VALIDATION_FAILED');
    t.equal(res.body?.error?.details.problems?.[0]?.path, '/id', `${method} ${path} names the id`);
  }
});

t.test('an unknown route: 404 ROUTE_NOT_FOUND', async (t) => {
  await refused(t, () => server.request('GET', '/nope', { token }), 404, 'ROUTE_NOT_FOUND');
  await refused(t, () => server.request('PUT', '/bookings', { token, body: { eventId: event.eventId } }), 404, 'ROUTE_NOT_FOUND');
  await refused(t, () => server.request('POST', `/events/${event.eventId}`, { token, body: {} }), 404, 'ROUTE_NOT_FOUND');
});

t.test('a body over 64 KB: 413 PAYLOAD_TOO_LARGE', async (t) => {
  const ticketIds = Array.from({ length: 2000 }, () => randomUUID());
  const body = JSON.stringify({ eventId: event.eventId, ticketIds });
  t.ok(body.length > 64 * 1024, 'the body is over 64 KB');
  await refused(t, post(body), 413, 'PAYLOAD_TOO_LARGE');
  await refused(t, post(body, { token: null }), 413, 'PAYLOAD_TOO_LARGE');
});

t.test('query strings that do not fit: 400', async (t) => {
  await refused(t, () => server.request('GET', '/events?limit=0'), 400, 'VALIDATION_FAILED');
  await refused(t, () => server.request('GET', '/events?limit=abc'), 400, 'VALIDATION_FAILED');
  await refused(t, () => server.request('GET', '/events?from=yesterday'), 400, 'VALIDATION_FAILED');
  await refused(t, () => server.request('GET', '/events?country=DEU'), 400, 'VALIDATION_FAILED');
  await refused(t, () => server.request('GET', '/events?unknown=1'), 400, 'VALIDATION_FAILED');
  await refused(t, () => server.request('GET', `/events/${event.eventId}/tickets?status=lost`), 400, 'VALIDATION_FAILED');
  await refused(t, () => server.request('GET', `/events/${event.eventId}/tickets?limit=501`), 400, 'VALIDATION_FAILED');
});

t.test('a cursor this API did not give out: 400 INVALID_CURSOR', async (t) => {
  const forge = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
  const cursors: Array<[string, string]> = [
    ['garbage', '!!!not-base64!!!'],
    ['empty', ''],
    ['base64 of text', Buffer.from('hello').toString('base64url')],
    ['an object', forge({ a: 1 })],
    ['the wrong shape', forge([1, 2, 3])],
    ['the right shape but not a time', forge(['not-a-time', randomUUID()])],
    ['the right shape but not a uuid', forge(['2030-01-01T00:00:00.000000Z', 'nope'])],
  ];
  for (const [name, cursor] of cursors) {
    await t.test(`GET /events, ${name}`, async (t) => {
      await refused(t, () => server.request('GET', `/events?cursor=${encodeURIComponent(cursor)}`), 400, 'INVALID_CURSOR');
    });
  }
  const ticketCursors: Array<[string, string]> = [
    ['garbage', 'zzz'],
    ['the wrong types', forge(['1', randomUUID()])],
    ['the right shape but not a uuid', forge([1, 'nope'])],
    ['the right shape but a position out of range', forge([1e20, randomUUID()])],
  ];
  for (const [name, cursor] of ticketCursors) {
    await t.test(`GET /events/:id/tickets, ${name}`, async (t) => {
      await refused(t, () => server.request('GET', `/events/${event.eventId}/tickets?cursor=${encodeURIComponent(cursor)}`),
        400, 'INVALID_CURSOR');
    });
  }
});

t.test('Idempotency-Key', async (t) => {
  await t.test('the same key and request return the first booking; another request with it is refused', async (t) => {
    const e = await makeEvent(pool, { tickets: 4 });
    const buyer = await newBuyer();
    const key = randomUUID();
    const body = { eventId: e.eventId, ticketIds: [e.ticketIds[1], e.ticketIds[0]] };
    const first = await server.request('POST', '/bookings', { token: buyer, body, headers: { 'idempotency-key': key } });
    t.equal(first.status, 201, 'first: 201');
    const before = await counts();
    const again = await server.request('POST', '/bookings', {
      token: buyer, body: { ...body, ticketIds: [e.ticketIds[0], e.ticketIds[1]] }, headers: { 'idempotency-key': key } });
    t.equal(again.status, 201, 'the same request again (tickets listed in another order): 201 again');
    t.equal(again.body.id, first.body.id, 'the same booking');
    t.same(again.body, first.body, 'answered exactly as the first time');
    t.same(await counts(), before, 'nothing new written');

    const res = await refused(t, () => server.request('POST', '/bookings', {
      token: buyer, body: { eventId: e.eventId, ticketIds: [e.ticketIds[2]] }, headers: { 'idempotency-key': key } }),
    422, 'IDEMPOTENCY_KEY_REUSED');
    t.ok(res, 'different tickets with the same key are refused');
    await refused(t, () => server.request('POST', '/bookings', {
      token: buyer, body: { eventId: e.eventId, priceTierId: e.tierIds[0], quantity: 2 }, headers: { 'idempotency-key': key } }),
    422, 'IDEMPOTENCY_KEY_REUSED');
    await refused(t, () => server.request('POST', '/bookings', {
      token: buyer, body: { eventId: other.eventId, ticketIds: [other.ticketIds[0]] }, headers: { 'idempotency-key': key } }),
    422, 'IDEMPOTENCY_KEY_REUSED');

    const stranger = await newBuyer();
    const theirs = await server.request('POST', '/bookings', {
      token: stranger, body: { eventId: e.eventId, ticketIds: [e.ticketIds[3]] }, headers: { 'idempotency-key': key } });
    t.equal(theirs.status, 201, 'another user may use the same key string');
    t.not(theirs.body.id, first.body.id, 'and gets their own booking');
  });

  await t.test('a key too long: 400 VALIDATION_FAILED', async (t) => {
    await refused(t, post({ eventId: event.eventId, ticketIds: [event.ticketIds[0]] }, { headers: { 'idempotency-key': 'k'.repeat(256) } }),
      400, 'VALIDATION_FAILED');
  });

  await t.test('a refused request does not use up its key', async (t) => {
    const e = await makeEvent(pool, { tickets: 2, saleStartsIn: '1 hour' });
    const buyer = await newBuyer();
    const key = randomUUID();
    await refused(t, () => server.request('POST', '/bookings', {
      token: buyer, body: { eventId: e.eventId, ticketIds: [e.ticketIds[0]] }, headers: { 'idempotency-key': key } }),
    409, 'EVENT_NOT_ON_SALE');
    const res = await server.request('POST', '/bookings', {
      token: buyer, body: { eventId: event.eventId, ticketIds: [event.ticketIds[5]] }, headers: { 'idempotency-key': key } });
    t.equal(res.status, 201, 'the key works for another request afterwards');
  });

  await t.test('10 identical requests with one key fired together make one booking', async (t) => {
    const e = await makeEvent(pool, { tickets: 4 });
    const buyer = await newBuyer();
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 10 }, () => server.request('POST', '/bookings', {
      token: buyer, body: { eventId: e.eventId, priceTierId: e.tierIds[0], quantity: 2 }, headers: { 'idempotency-key': key } })));
    t.same(answers.map((a) => a.status), Array(10).fill(201), 'all ten answer 201');
    t.equal(new Set(answers.map((a) => a.body.id)).size, 1, 'all with the same booking id');
    const { rows } = await pool.query(
      `select (select count(*) from app_public.bookings where event_id = $1)::int as bookings,
              (select count(*) from app_public.booking_tickets where event_id = $1)::int as claims`, [e.eventId]);
    t.same(rows[0], { bookings: 1, claims: 2 }, 'one booking of two tickets in the database');
  });

  await t.test('one key used for two different events at the same moment: one hold, one 422, no 500', async (t) => {
    // Request B gets past its first checks, then waits for event B's row (locked here). Request A, with
    // the same key for event A, is sent meanwhile: it either completes or waits for B. Then event B is
    // released. Whatever the order, one request holds and the other answers IDEMPOTENCY_KEY_REUSED.
    const a = await makeEvent(pool, { tickets: 2 });
    const b = await makeEvent(pool, { tickets: 2 });
    const buyer = await newBuyer();
    const key = randomUUID();
    const locker = await pool.connect();
    let lockHeld = true;
    t.teardown(async () => {
      if (lockHeld) await locker.query('rollback');
      locker.release();
    });
    await locker.query('begin');
    await locker.query('select 1 from app_public.events where id = $1 for update', [b.eventId]);
    const requestB = server.request('POST', '/bookings', {
      token: buyer, body: { eventId: b.eventId, ticketIds: [b.ticketIds[0]] }, headers: { 'idempotency-key': key } });
    await waitUntilBlocked(pool, 'create_booking');
    let aDone = false;
    const requestA = server.request('POST', '/bookings', {
      token: buyer, body: { eventId: a.eventId, ticketIds: [a.ticketIds[0]] }, headers: { 'idempotency-key': key } })
      .finally(() => { aDone = true; });
    await waitUntilBlocked(pool, 'create_booking', { count: 2, unless: () => aDone });
    await locker.query('commit');
    lockHeld = false;
    const answers = await Promise.all([requestA, requestB]);
    t.same(answers.map((x) => x.status).sort(), [201, 422], 'one 201 and one 422, no server error');
    const refusedOne = answers.find((x) => x.status !== 201);
    t.equal(refusedOne?.body?.error?.code, 'IDEMPOTENCY_KEY_REUSED', 'the other is IDEMPOTENCY_KEY_REUSED');
    const { rows } = await pool.query(
      'select count(*)::int as n from app_public.bookings where event_id = any($1::uuid[])', [[a.eventId, b.eventId]]);
    t.equal(rows[0].n, 1, 'one booking in all');
  });
});
