// The RLS matrix: for each role (anonymous, a user, another user, an admin), each table and each
// function the API exposes, what is visible and what is writable, asserted exactly. Every attempt
// runs in a transaction as the API runs requests (role + claims) and is rolled back, so the matrix
// changes nothing. Counts are of this file's own rows (other test files share the database).
// docs/security.md shows the same matrix as a table.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { ADMIN_ROLE, pgSettingsFor, VISITOR_ROLE } from '../../lib/db.ts';
import { asAdmin, makeAdmin, makeEvent, makeUser, ownerPool } from '../helpers/db.ts';
import { confirmedAs, holdAs } from '../helpers/bookings.ts';

const pool = ownerPool(4);
t.teardown(() => pool.end());

const [ann, bob, admin] = [await makeUser(pool), await makeUser(pool), await makeAdmin(pool)];
const pub = await makeEvent(pool, { tickets: 3, seated: true });
const draft = await makeEvent(pool, { tickets: 2, status: 'draft' });
const { rows: [performer, unlisted] } = await pool.query<{ id: string }>(`insert into app_public.performers (name) values ('Matrix Band'), ('Matrix Guest') returning id`);
await pool.query('insert into app_public.event_performers (event_id, performer_id) values ($1, $3), ($2, $3)', [pub.eventId, draft.eventId, performer.id]);
const annBooking = await confirmedAs(pool, ann, pub.eventId, [pub.ticketIds[0]]);
const bobBooking = await holdAs(pool, bob, pub.eventId, [pub.ticketIds[1]]);
const events = [pub.eventId, draft.eventId];
// An admin change to each event, so that the audit log has rows of this file's events.
await asAdmin(pool, admin, (c) => c.query(`update app_public.events set description = 'matrix' where id = any ($1)`, [events]));
const venues = [pub.venueId, draft.venueId];

type Role = 'anonymous' | 'user' | 'another user' | 'admin';
const ROLES: Record<Role, { role: string; userId: string | null }> = {
  anonymous: { role: VISITOR_ROLE, userId: null },
  user: { role: VISITOR_ROLE, userId: ann },
  'another user': { role: VISITOR_ROLE, userId: bob },
  admin: { role: ADMIN_ROLE, userId: admin },
};

/** Runs sql as the role in a transaction that is always rolled back: a row count, or the error's SQLSTATE. */
async function attempt(role: Role, sql: string): Promise<number | string> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('select set_config(k, v, true) from json_each_text($1::json) as s(k, v)', [JSON.stringify(pgSettingsFor(ROLES[role], 'dev'))]);
    const res = await client.query(sql);
    return res.command === 'SELECT' && res.fields.length === 1 && res.fields[0].name === 'n' ? Number(res.rows[0].n) : res.rowCount ?? 0;
  } catch (err) {
    return (err as { code: string }).code;
  } finally {
    await client.query('rollback');
    client.release();
  }
}

// Per table: how many of this file's rows a role sees, and one insert, update and delete of them.
// A number is rows affected; '42501' is "permission denied" (no grant); 0 is "RLS hides the row".
const TABLES: Record<string, { visible: string; insert: string; update: string; delete: string }> = {
  users: {
    visible: `select count(*) as n from app_public.users where id = any ('{${ann},${bob},${admin}}'::uuid[])`,
    insert: `insert into app_public.users (issuer, subject) values ('x', '${randomUUID()}')`,
    update: `update app_public.users set display_name = 'Renamed' where id = '${ann}'`,
    delete: `delete from app_public.users where id = '${ann}'`,
  },
  venues: {
    visible: `select count(*) as n from app_public.venues where id = any ('{${venues}}'::uuid[])`,
    insert: `insert into app_public.venues (name, timezone) values ('New Hall', 'Europe/Paris')`,
    update: `update app_public.venues set name = 'Renamed' where id = '${pub.venueId}'`,
    delete: `delete from app_public.venues where id = '${pub.venueId}'`,
  },
  seats: {
    visible: `select count(*) as n from app_public.seats where venue_id = any ('{${venues}}'::uuid[])`,
    insert: `insert into app_public.seats (venue_id, section, row_label, seat_number, position) values ('${pub.venueId}', 'B', '1', 1, 99)`,
    update: `update app_public.seats set position = position + 100 where venue_id = '${pub.venueId}'`,
    delete: `delete from app_public.seats where venue_id = '${pub.venueId}'`,
  },
  performers: {
    visible: `select count(*) as n from app_public.performers where id = '${performer.id}'`,
    insert: `insert into app_public.performers (name) values ('New Band')`,
    update: `update app_public.performers set name = 'Renamed' where id = '${performer.id}'`,
    delete: `delete from app_public.performers where id = '${performer.id}'`,
  },
  events: {
    visible: `select count(*) as n from app_public.events where id = any ('{${events}}'::uuid[])`,
    insert: `insert into app_public.events (venue_id, title, starts_at) values ('${pub.venueId}', 'New', now() + interval '9 days')`,
    update: `update app_public.events set title = 'Renamed' where id = any ('{${events}}'::uuid[])`,
    delete: `delete from app_public.events where id = any ('{${events}}'::uuid[])`,
  },
  event_performers: {
    visible: `select count(*) as n from app_public.event_performers where event_id = any ('{${events}}'::uuid[])`,
    insert: `insert into app_public.event_performers (event_id, performer_id, position) values ('${pub.eventId}', '${unlisted.id}', 1)`,
    update: `update app_public.event_performers set position = 5 where event_id = any ('{${events}}'::uuid[])`,
    delete: `delete from app_public.event_performers where event_id = any ('{${events}}'::uuid[])`,
  },
  price_tiers: {
    visible: `select count(*) as n from app_public.price_tiers where event_id = any ('{${events}}'::uuid[])`,
    insert: `insert into app_public.price_tiers (event_id, name, amount, currency) values ('${pub.eventId}', 'VIP', 9000, 'EUR')`,
    update: `update app_public.price_tiers set amount = 1 where event_id = any ('{${events}}'::uuid[])`,
    delete: `delete from app_public.price_tiers where event_id = any ('{${events}}'::uuid[])`,
  },
  tickets: {
    visible: `select count(*) as n from app_public.tickets where event_id = any ('{${events}}'::uuid[])`,
    insert: `insert into app_public.tickets (event_id, price_tier_id, position) values ('${pub.eventId}', '${pub.tierIds[0]}', 50)`,
    update: `update app_public.tickets set position = position + 10 where event_id = any ('{${events}}'::uuid[])`,
    delete: `delete from app_public.tickets where event_id = '${draft.eventId}'`,
  },
  bookings: {
    visible: `select count(*) as n from app_public.bookings where event_id = any ('{${events}}'::uuid[])`,
    insert: `insert into app_public.bookings (event_id, user_id, total_amount, currency, expires_at) values ('${pub.eventId}', '${ann}', 0, 'EUR', now() + interval '1 hour')`,
    update: `update app_public.bookings set status = 'cancelled' where event_id = '${pub.eventId}'`,
    delete: `delete from app_public.bookings where event_id = '${pub.eventId}'`,
  },
  booking_tickets: {
    visible: `select count(*) as n from app_public.booking_tickets where event_id = any ('{${events}}'::uuid[])`,
    insert: `insert into app_public.booking_tickets (booking_id, event_id, ticket_id, amount, claimed) values ('${annBooking}', '${pub.eventId}', '${pub.ticketIds[1]}', 0, tstzrange(now(), null))`,
    update: `update app_public.booking_tickets set claimed = tstzrange(lower(claimed), now()) where event_id = '${pub.eventId}'`,
    delete: `delete from app_public.booking_tickets where event_id = '${pub.eventId}'`,
  },
  payments: {
    visible: `select count(*) as n from app_public.payments where booking_id = any ('{${annBooking},${bobBooking}}'::uuid[])`,
    insert: `insert into app_public.payments (booking_id, provider, amount, currency, expires_at) values ('${bobBooking}', 'dev', 0, 'EUR', now() + interval '1 hour')`,
    update: `update app_public.payments set status = 'paid', paid_at = now() where booking_id = '${annBooking}'`,
    delete: `delete from app_public.payments where booking_id = '${annBooking}'`,
  },
  audit_log: {
    visible: `select count(*) as n from app_public.audit_log where table_name = 'events' and operation = 'update' and row_key = any ('{${events}}'::text[])`,
    insert: `insert into app_public.audit_log (actor_role, table_name, operation, row_key) values ('x', 'events', 'insert', 'x')`,
    update: `update app_public.audit_log set after = null where row_key = any ('{${events}}'::text[])`,
    delete: `delete from app_public.audit_log where row_key = any ('{${events}}'::text[])`,
  },
  'app_private.admins': {
    visible: `select count(*) as n from app_private.admins where user_id = '${admin}'`,
    insert: `insert into app_private.admins (user_id) values ('${ann}')`,
    update: `update app_private.admins set granted_by = 'x' where user_id = '${admin}'`,
    delete: `delete from app_private.admins where user_id = '${admin}'`,
  },
  'app_private.payment_secrets': {
    visible: `select count(*) as n from app_private.payment_secrets`,
    insert: `insert into app_private.payment_secrets (payment_id) values ('${randomUUID()}')`,
    update: `update app_private.payment_secrets set checkout_url = null`,
    delete: `delete from app_private.payment_secrets`,
  },
};

// What each role may do, cell by cell: "visible / insert / update / delete".
const D = '42501';
const EXPECTED_TABLES: Record<string, Record<Role, string>> = {
  users: { anonymous: `0/${D}/0/${D}`, user: `1/${D}/1/${D}`, 'another user': `1/${D}/0/${D}`, admin: `3/${D}/0/${D}` },
  venues: { anonymous: `2/${D}/${D}/${D}`, user: `2/${D}/${D}/${D}`, 'another user': `2/${D}/${D}/${D}`, admin: `2/1/1/${D}` },
  seats: { anonymous: `3/${D}/${D}/${D}`, user: `3/${D}/${D}/${D}`, 'another user': `3/${D}/${D}/${D}`, admin: `3/1/3/${D}` },
  performers: { anonymous: `1/${D}/${D}/${D}`, user: `1/${D}/${D}/${D}`, 'another user': `1/${D}/${D}/${D}`, admin: `1/1/1/${D}` },
  events: { anonymous: `1/${D}/${D}/${D}`, user: `1/${D}/${D}/${D}`, 'another user': `1/${D}/${D}/${D}`, admin: `2/1/2/${D}` },
  event_performers: { anonymous: `1/${D}/${D}/${D}`, user: `1/${D}/${D}/${D}`, 'another user': `1/${D}/${D}/${D}`, admin: `2/1/2/${D}` },
  price_tiers: { anonymous: `1/${D}/${D}/${D}`, user: `1/${D}/${D}/${D}`, 'another user': `1/${D}/${D}/${D}`, admin: `2/1/2/${D}` },
  tickets: { anonymous: `3/${D}/${D}/${D}`, user: `3/${D}/${D}/${D}`, 'another user': `3/${D}/${D}/${D}`, admin: `5/${D}/${D}/${D}` },
  bookings: { anonymous: `0/${D}/${D}/${D}`, user: `1/${D}/${D}/${D}`, 'another user': `1/${D}/${D}/${D}`, admin: `2/${D}/${D}/${D}` },
  booking_tickets: { anonymous: `0/${D}/${D}/${D}`, user: `1/${D}/${D}/${D}`, 'another user': `1/${D}/${D}/${D}`, admin: `2/${D}/${D}/${D}` },
  payments: { anonymous: `0/${D}/${D}/${D}`, user: `1/${D}/${D}/${D}`, 'another user': `0/${D}/${D}/${D}`, admin: `1/${D}/${D}/${D}` },
  audit_log: { anonymous: `${D}/${D}/${D}/${D}`, user: `${D}/${D}/${D}/${D}`, 'another user': `${D}/${D}/${D}/${D}`, admin: `2/${D}/${D}/${D}` },
  'app_private.admins': { anonymous: `${D}/${D}/${D}/${D}`, user: `${D}/${D}/${D}/${D}`, 'another user': `${D}/${D}/${D}/${D}`, admin: `${D}/${D}/${D}/${D}` },
  'app_private.payment_secrets': { anonymous: `${D}/${D}/${D}/${D}`, user: `${D}/${D}/${D}/${D}`, 'another user': `${D}/${D}/${D}/${D}`, admin: `${D}/${D}/${D}/${D}` },
};

t.test('tables: visible rows and writes per role', async (t) => {
  const actual: Record<string, Record<string, string>> = {};
  for (const [table, q] of Object.entries(TABLES)) {
    actual[table] = {};
    for (const role of Object.keys(ROLES) as Role[]) {
      const visible = await attempt(role, q.visible);
      const cells = [visible, await attempt(role, q.insert), await attempt(role, q.update), await attempt(role, q.delete)];
      actual[table][role] = cells.join('/');
    }
  }
  t.same(actual, EXPECTED_TABLES);
});

// Per exposed function: what a call answers for each role ('ok', or the SQLSTATE it raises).
const FUNCTIONS: Record<string, string> = {
  current_user_id: `select app_public.current_user_id() is not null as ok`,
  current_user: `select (app_public.current_user()).id is not null as ok`,
  'create_booking (published)': `select app_public.create_booking('${pub.eventId}', null, '${pub.tierIds[0]}', 1, null)`,
  'create_booking (draft)': `select app_public.create_booking('${draft.eventId}', null, '${draft.tierIds[0]}', 1, null)`,
  "cancel_booking (another user's hold)": `select app_public.cancel_booking('${bobBooking}')`,
  "start_checkout (another user's hold)": `select app_public.start_checkout('${bobBooking}')`,
  "confirm_booking (the user's booking)": `select app_public.confirm_booking('${annBooking}')`,
  add_seat_rows: `select app_public.add_seat_rows('${pub.venueId}', 'C', array['1'], 2)`,
  add_inventory: `select app_public.add_inventory('${pub.eventId}', '${pub.tierIds[0]}', 1)`,
  remove_unsold_inventory: `select app_public.remove_unsold_inventory('${draft.eventId}')`,
  reschedule_event: `select app_public.reschedule_event('${pub.eventId}', '2031-06-01 20:00')`,
  change_event_venue: `select app_public.change_event_venue('${draft.eventId}', '${pub.venueId}')`,
  cancel_event: `select app_public.cancel_event('${draft.eventId}')`,
  'search_events (finds the published event, not the draft)': `select
     exists (select 1 from app_public.search_events(venue_id => '${pub.venueId}') h where (h.event).id = '${pub.eventId}')
     and not exists (select 1 from app_public.search_events(venue_id => '${draft.venueId}')) as ok`,
  search_suggestions: `select count(*) >= 0 as ok from app_public.search_suggestions('test')`,
};

const EXPECTED_FUNCTIONS: Record<string, Record<Role, string>> = {
  current_user_id: { anonymous: 'null', user: 'ok', 'another user': 'ok', admin: 'ok' },
  current_user: { anonymous: 'null', user: 'ok', 'another user': 'ok', admin: 'ok' },
  'create_booking (published)': { anonymous: 'BXAUT', user: 'ok', 'another user': 'ok', admin: 'ok' },
  'create_booking (draft)': { anonymous: 'BXAUT', user: 'BXEVN', 'another user': 'BXEVN', admin: 'BXEVN' },
  "cancel_booking (another user's hold)": { anonymous: 'BXAUT', user: 'BXBNF', 'another user': 'ok', admin: 'BXBNF' },
  "start_checkout (another user's hold)": { anonymous: 'BXAUT', user: 'BXBNF', 'another user': 'ok', admin: 'BXBNF' },
  "confirm_booking (the user's booking)": { anonymous: 'BXAUT', user: 'ok', 'another user': 'BXBNF', admin: 'BXBNF' },
  add_seat_rows: { anonymous: D, user: D, 'another user': D, admin: 'ok' },
  add_inventory: { anonymous: D, user: D, 'another user': D, admin: 'ok' },
  remove_unsold_inventory: { anonymous: D, user: D, 'another user': D, admin: 'ok' },
  reschedule_event: { anonymous: D, user: D, 'another user': D, admin: 'ok' },
  change_event_venue: { anonymous: D, user: D, 'another user': D, admin: 'ok' },
  cancel_event: { anonymous: D, user: D, 'another user': D, admin: 'ok' },
  'search_events (finds the published event, not the draft)': { anonymous: 'ok', user: 'ok', 'another user': 'ok', admin: 'ok' },
  search_suggestions: { anonymous: 'ok', user: 'ok', 'another user': 'ok', admin: 'ok' },
};

t.test('functions: what each role may call', async (t) => {
  const actual: Record<string, Record<string, string>> = {};
  for (const [name, sql] of Object.entries(FUNCTIONS)) {
    actual[name] = {};
    for (const role of Object.keys(ROLES) as Role[]) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query('select set_config(k, v, true) from json_each_text($1::json) as s(k, v)', [JSON.stringify(pgSettingsFor(ROLES[role], 'dev'))]);
        const { rows } = await client.query(sql);
        actual[name][role] = 'ok' in rows[0] && rows[0].ok === false ? 'null' : 'ok';
      } catch (err) {
        actual[name][role] = (err as { code: string }).code;
      } finally {
        await client.query('rollback');
        client.release();
      }
    }
  }
  t.same(actual, EXPECTED_FUNCTIONS);
});

t.test('every app_public function is in the matrix or is a computed column granted to visitors', async (t) => {
  const { rows } = await pool.query<{ name: string; visitor: boolean; admin: boolean }>(
    `select p.proname as name, has_function_privilege('boxoffice_visitor', p.oid, 'execute') as visitor,
            has_function_privilege('boxoffice_admin', p.oid, 'execute') as admin
       from pg_proc p where p.pronamespace = 'app_public'::regnamespace order by p.proname`);
  const listed = new Set(Object.keys(FUNCTIONS).map((k) => k.split(' ')[0]));
  const computed = ['bookings_current_status', 'events_availability', 'events_on_sale', 'tickets_status'];
  t.same(rows.filter((r) => !listed.has(r.name)).map((r) => [r.name, r.visitor, r.admin]),
    computed.map((name) => [name, true, true]), 'the rest are read-only computed columns');
  t.same(rows.filter((r) => listed.has(r.name) && r.visitor).map((r) => r.name).sort(),
    ['cancel_booking', 'confirm_booking', 'create_booking', 'current_user', 'current_user_id', 'search_events', 'search_suggestions', 'start_checkout'],
    'what visitors may execute');
});
