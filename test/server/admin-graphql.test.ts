// Admins run the catalogue through GraphQL: venues, seat layouts, events, price tiers and inventory
// with the generated mutations and the lifecycle functions. Admin rights come from the database
// (granted as `npm run admin -- grant <email>` does), never from a token's claims; visitors get
// FORBIDDEN for every admin mutation and for the audit log.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { loadConfig } from '../../lib/config.ts';
import { grantAdmin, listAdmins, revokeAdmin } from '../../lib/admins.ts';
import { ownerPool } from '../helpers/db.ts';
import { graphql, signJwt } from '../helpers/observe.ts';
import { startTestServer } from '../helpers/server.ts';

const pool = ownerPool(2);
// Sign-ins are not cached here, so that a grant or revoke shows on the next request.
const server = await startTestServer({ AUTH_CACHE_SECONDS: '0' });
t.teardown(async () => {
  await server.close();
  await pool.end();
});

const adminEmail = `admin-${randomUUID()}@example.test`;
const admin = await server.login(adminEmail);
const before = (await server.request('GET', '/me', { token: admin })).body.isAdmin;
const grantedNobody = await grantAdmin(pool, `nobody-${randomUUID()}@example.test`);
const granted = await grantAdmin(pool, adminEmail);
const listed = await listAdmins(pool);
const adminToken = await server.login(adminEmail);
const bob = await server.login();

t.test('npm run admin -- grant: rights come from the admins table', async (t) => {
  t.equal(before, false, 'signed in, not yet an admin');
  t.same(grantedNobody, [], 'granting an unknown email grants nobody');
  t.equal(granted.length, 1, 'granted by email');
  t.ok(listed.some((a) => a.userId === granted[0]), 'listed');
});

const gql = (query: string, variables: Record<string, unknown>, token?: string) => graphql(server, query, variables, token);

t.test('an admin builds an event through GraphQL; drafts stay invisible to everyone else', async (t) => {
  t.equal((await server.request('GET', '/me', { token: adminToken })).body.isAdmin, true);
  const venue = await gql(`mutation { createVenue(input: { venue: { name: "Admin Hall", city: "Berlin", country: "DE", timezone: "Europe/Berlin" } }) { venue { rowId } } }`, {}, adminToken);
  t.same(venue.errors, []);
  const venueId = venue.data.createVenue.venue.rowId;
  const seats = await gql(`mutation($v: UUID!) { addSeatRows(input: { venueId: $v, section: "Stalls", rowLabels: ["A", "B"], seatsPerRow: 10 }) { result } }`, { v: venueId }, adminToken);
  t.equal(seats.data?.addSeatRows.result, 20, 'a 20-seat layout');
  const event = await gql(`mutation($v: UUID!) { createEvent(input: { event: { venueId: $v, title: "Admin Night", startsAt: "2030-06-01T18:00:00Z", currency: "EUR" } }) { event { rowId status } } }`, { v: venueId }, adminToken);
  t.same(event.errors, []);
  t.equal(event.data.createEvent.event.status, 'draft', 'a new event is a draft');
  const eventId = event.data.createEvent.event.rowId;
  const tier = await gql(`mutation($e: UUID!) { createPriceTier(input: { priceTier: { eventId: $e, name: "Stalls", amount: 4500, currency: "EUR" } }) { priceTier { rowId } } }`, { e: eventId }, adminToken);
  const tierId = tier.data.createPriceTier.priceTier.rowId;
  const inv = await gql(`mutation($e: UUID!, $p: UUID!) { addInventory(input: { eventId: $e, priceTierId: $p }) { result } }`, { e: eventId, p: tierId }, adminToken);
  t.equal(inv.data?.addInventory.result, 20, 'a ticket per seat');

  t.equal((await server.request('GET', `/events/${eventId}`)).status, 404, 'the draft is invisible over REST');
  t.equal((await gql(`query($e: UUID!) { eventByRowId(rowId: $e) { title } }`, { e: eventId }, bob)).data.eventByRowId, null, 'and over GraphQL');
  t.equal((await server.request('GET', `/events/${eventId}`, { token: adminToken })).status, 200, 'the admin sees it');

  const publish = await gql(`mutation($e: UUID!) { updateEventByRowId(input: { rowId: $e, eventPatch: { status: "published" } }) { event { status } } }`, { e: eventId }, adminToken);
  t.equal(publish.data?.updateEventByRowId.event.status, 'published');
  const shown = await server.request('GET', `/events/${eventId}`);
  t.match(shown.body, { status: 'published', availability: { available: 20, total: 20 }, localStartsAt: '2030-06-01T20:00:00' });

  const moved = await gql(`mutation($e: UUID!) { rescheduleEvent(input: { eventId: $e, localStartsAt: "2030-12-01T20:00:00" }) { result { startsAt } } }`, { e: eventId }, adminToken);
  t.same(moved.errors, []);
  t.match((await server.request('GET', `/events/${eventId}`)).body, { localStartsAt: '2030-12-01T20:00:00', startsAt: '2030-12-01T19:00:00.000Z' },
    'the wall time is kept in winter time');

  const cancel = await gql(`mutation($e: UUID!) { cancelEvent(input: { eventId: $e }) { result { status } } }`, { e: eventId }, adminToken);
  t.equal(cancel.data?.cancelEvent.result.status, 'cancelled');
  const again = await gql(`mutation($e: UUID!) { updateEventByRowId(input: { rowId: $e, eventPatch: { status: "published" } }) { event { status } } }`, { e: eventId }, adminToken);
  t.equal(again.errors[0]?.extensions?.code, 'EVENT_STATE_CONFLICT', 'a cancelled event stays cancelled');

  const audit = await gql(`query($k: String!) { allAuditLogs(condition: { rowKey: $k }, orderBy: PRIMARY_KEY_ASC) { nodes { operation actorUserId actorRole } } }`, { k: eventId }, adminToken);
  t.same(audit.errors, []);
  t.same(audit.data.allAuditLogs.nodes.map((n: { operation: string }) => n.operation), ['insert', 'update', 'update', 'update'],
    'created, published, rescheduled, cancelled');
  t.ok(audit.data.allAuditLogs.nodes.every((n: { actorUserId: string }) => n.actorUserId === granted[0]), 'each by the admin');
});

t.test('visitors get FORBIDDEN for admin mutations and the audit log', async (t) => {
  const config = loadConfig({ ...process.env, NODE_ENV: 'test' });
  const me = (await server.request('GET', '/me', { token: bob })).body;
  const now = Math.floor(Date.now() / 1000);
  // A token that claims admin rights is still only what the database says.
  const iss = JSON.parse(Buffer.from(bob.split('.')[1], 'base64url').toString()).iss;
  const forged = signJwt({ iss, sub: me.email, email: me.email, iat: now, exp: now + 600,
    role: 'boxoffice_admin', admin: true, is_admin: true }, config.devJwtSecret);
  t.equal((await server.request('GET', '/me', { token: forged })).body.isAdmin, false, 'claims cannot make an admin');
  const event = randomUUID();
  for (const token of [bob, forged, undefined]) {
    const who = token === forged ? 'forged admin claim' : token ? 'user' : 'anonymous';
    const venue = await gql(`mutation { createVenue(input: { venue: { name: "X", timezone: "UTC" } }) { venue { rowId } } }`, {}, token);
    t.equal(venue.errors[0]?.extensions?.code, 'FORBIDDEN', `${who}: createVenue`);
    const cancel = await gql(`mutation($e: UUID!) { cancelEvent(input: { eventId: $e }) { result { status } } }`, { e: event }, token);
    t.equal(cancel.errors[0]?.extensions?.code, 'FORBIDDEN', `${who}: cancelEvent`);
    const audit = await gql(`{ allAuditLogs(first: 1) { nodes { id } } }`, {}, token);
    t.equal(audit.errors[0]?.extensions?.code, 'FORBIDDEN', `${who}: the audit log`);
  }
});

t.test('bad admin input answers a client error, never a 500', async (t) => {
  const zone = await gql(`mutation { createVenue(input: { venue: { name: "Nowhere", timezone: "Mars/Olympus" } }) { venue { rowId } } }`, {}, adminToken);
  t.equal(zone.errors[0]?.extensions?.code, 'CONSTRAINT_VIOLATED', 'an unknown time zone');
  const venue = await gql(`mutation { createEvent(input: { event: { venueId: "${randomUUID()}", title: "X", startsAt: "2030-01-01T00:00:00Z" } }) { event { rowId } } }`, {}, adminToken);
  t.equal(venue.errors[0]?.extensions?.code, 'REFERENCE_NOT_FOUND', 'an unknown venue');
  const cancelled = await gql(`mutation { createVenue(input: { venue: { name: "Y", timezone: "UTC" } }) { venue { rowId } } }`, {}, adminToken);
  const ev = await gql(`mutation($v: UUID!) { createEvent(input: { event: { venueId: $v, title: "Y", startsAt: "2030-01-01T00:00:00Z", status: "cancelled" } }) { event { rowId } } }`,
    { v: cancelled.data.createVenue.venue.rowId }, adminToken);
  t.equal(ev.errors[0]?.extensions?.code, 'EVENT_STATE_CONFLICT', 'an event cannot be created cancelled');
  const missing = await gql(`mutation($e: UUID!) { cancelEvent(input: { eventId: $e }) { result { status } } }`, { e: randomUUID() }, adminToken);
  t.equal(missing.errors[0]?.extensions?.code, 'EVENT_NOT_FOUND');
});

t.test('revoking takes the rights away', async (t) => {
  t.equal(await revokeAdmin(pool, adminEmail), 1);
  const token = await server.login(adminEmail);
  const me = await server.request('GET', '/me', { token });
  t.equal(me.body.isAdmin, false, 'the admins table says no');
  const venue = await gql(`mutation { createVenue(input: { venue: { name: "Late", timezone: "UTC" } }) { venue { rowId } } }`, {}, token);
  t.equal(venue.errors[0]?.extensions?.code, 'FORBIDDEN', 'admin mutations are refused');
});
