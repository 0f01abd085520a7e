// Test access to the fresh database that `npm test` migrated for this run (BOXOFFICE_TEST_DATABASE_URL).
// Test files run in parallel against it, so each test makes its own events and users.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ADMIN_ROLE, createPool, pgSettingsFor, VISITOR_ROLE, withSettings } from '../../lib/db.ts';

export function testDatabaseUrl(): string {
  const url = process.env.BOXOFFICE_TEST_DATABASE_URL;
  if (!url) throw new Error('BOXOFFICE_TEST_DATABASE_URL is not set: run the tests with `npm test`.');
  return url;
}

/** A pool on the owner connection; end it in t.teardown. */
export function ownerPool(max = 10): pg.Pool {
  return createPool(testDatabaseUrl(), max);
}

export async function makeUser(pool: pg.Pool, email = `${randomUUID()}@example.test`): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `select app_private.upsert_user('https://test.example', $1, $1, 'Test User') as id`, [email]);
  return rows[0].id;
}

/** Runs fn inside a transaction as that user (visitor role + claims), as the API does. */
export function asUser<T>(pool: pg.Pool, userId: string | null, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withSettings(pool, pgSettingsFor({ role: VISITOR_ROLE, userId }, 'dev'), fn);
}

/** A new user with admin rights (a row in app_private.admins, as `npm run admin -- grant` makes). */
export async function makeAdmin(pool: pg.Pool, email?: string): Promise<string> {
  const id = await makeUser(pool, email);
  await pool.query('insert into app_private.admins (user_id) values ($1)', [id]);
  return id;
}

/** Runs fn inside a transaction as that admin (admin role + claims), as the API does for admins. */
export function asAdmin<T>(pool: pg.Pool, userId: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withSettings(pool, pgSettingsFor({ role: ADMIN_ROLE, userId }, 'dev'), fn);
}

export interface EventFixture {
  eventId: string;
  venueId: string;
  tierIds: string[];
  ticketIds: string[];
}

export interface EventOptions {
  tickets?: number;
  tiers?: Array<{ name: string; amount: number }>;
  currency?: string;
  status?: 'draft' | 'published' | 'postponed' | 'cancelled';
  startsIn?: string;
  saleStartsIn?: string | null;
  saleEndsIn?: string | null;
  maxTicketsPerUser?: number;
  holdSeconds?: number;
  title?: string;
  seated?: boolean;
}

/**
 * An event on sale now with `tickets` tickets spread over the tiers in order (seated: one seat each,
 * else general admission). Times are intervals from now, e.g. '30 days'.
 */
export async function makeEvent(pool: pg.Pool, opts: EventOptions = {}): Promise<EventFixture> {
  const tiers = opts.tiers ?? [{ name: 'Standard', amount: 5000 }];
  const count = opts.tickets ?? 10;
  const client = await pool.connect();
  try {
    await client.query('begin');
    const venue = await client.query<{ id: string }>(
      `insert into app_public.venues (name, city, country, timezone) values ($1, 'Testville', 'DE', 'Europe/Berlin') returning id`,
      [`Test Hall ${randomUUID().slice(0, 8)}`]);
    const venueId = venue.rows[0].id;
    const event = await client.query<{ id: string }>(
      `insert into app_public.events (venue_id, title, starts_at, status, sale_starts_at, sale_ends_at, currency,
                                      max_tickets_per_user, hold_seconds)
       values ($1, $2, now() + $3::interval, $4, now() + $5::interval, now() + $6::interval, $7, $8, $9) returning id`,
      [venueId, opts.title ?? `Test Event ${randomUUID().slice(0, 8)}`, opts.startsIn ?? '30 days', opts.status ?? 'published',
       opts.saleStartsIn === undefined ? '-1 day' : opts.saleStartsIn, opts.saleEndsIn ?? null, opts.currency ?? 'EUR',
       opts.maxTicketsPerUser ?? 8, opts.holdSeconds ?? 300]);
    const eventId = event.rows[0].id;
    const tierIds: string[] = [];
    for (const tier of tiers) {
      const { rows } = await client.query<{ id: string }>(
        `insert into app_public.price_tiers (event_id, name, amount, currency) values ($1, $2, $3, $4) returning id`,
        [eventId, tier.name, tier.amount, opts.currency ?? 'EUR']);
      tierIds.push(rows[0].id);
    }
    const { rows } = await client.query<{ id: string }>(
      `with seats as (
         insert into app_public.seats (venue_id, section, row_label, seat_number, position)
         select $1, 'A', '1', n, n from generate_series(1, $3::int) n where $4
         returning id, position)
       insert into app_public.tickets (event_id, price_tier_id, seat_id, position)
       select $2, ($5::uuid[])[1 + ((n - 1) * cardinality($5::uuid[])) / $3::int], s.id, n
         from generate_series(1, $3::int) n left join seats s on s.position = n
       order by n
       returning id`,
      [venueId, eventId, count, opts.seated ?? false, tierIds]);
    await client.query('commit');
    return { eventId, venueId, tierIds, ticketIds: rows.map((r) => r.id) };
  } catch (err) {
    await client.query('rollback');
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Moves time forward for a booking without sleeping: shifts its hold (and claims) into the past by
 * `seconds`, as if that much time had passed since it was made.
 */
export async function ageBooking(pool: pg.Pool, bookingId: string, seconds: number): Promise<void> {
  await pool.query(
    `with b as (
       update app_public.bookings set created_at = created_at - make_interval(secs => $2),
                                      expires_at = expires_at - make_interval(secs => $2)
        where id = $1 returning id)
     update app_public.booking_tickets c
        set claimed = tstzrange(lower(c.claimed) - make_interval(secs => $2),
                                case when upper_inf(c.claimed) then null else upper(c.claimed) - make_interval(secs => $2) end)
       from b where c.booking_id = b.id`, [bookingId, seconds]);
}
