// Bookings made the way the API makes them, at the SQL level: a hold as the user, and a paid
// (confirmed) booking through the dev payment path. For tests that need bookings in given states.
import type pg from 'pg';
import { asUser } from './db.ts';

export async function holdAs(pool: pg.Pool, userId: string, eventId: string, ticketIds: string[]): Promise<string> {
  return asUser(pool, userId, async (client) => (await client.query<{ id: string }>(
    'select (app_public.create_booking($1, $2::uuid[], null, null, null)).id', [eventId, ticketIds])).rows[0].id);
}

export async function confirmedAs(pool: pg.Pool, userId: string, eventId: string, ticketIds: string[]): Promise<string> {
  const bookingId = await holdAs(pool, userId, eventId, ticketIds);
  const paymentId = await asUser(pool, userId, async (client) =>
    (await client.query<{ id: string }>('select (app_public.start_checkout($1)).id', [bookingId])).rows[0].id);
  await pool.query('select app_private.record_payment_succeeded($1)', [paymentId]);
  return bookingId;
}

/** The event-change mails and refunds queued for these bookings (each row at most once by design). */
export async function followUpsFor(pool: pg.Pool, bookingIds: string[]): Promise<Array<{ type: string; bookingId: string; what: string }>> {
  const { rows } = await pool.query(
    `select 'email' as type, booking_id::text as "bookingId", kind || case when variant = '' then '' else ':' || variant end as what
       from app_private.emails where booking_id = any ($1::uuid[]) and kind in ('event_cancelled', 'event_rescheduled')
     union all
     select 'refund', r.booking_id::text, r.reason || case when r.amount = p.amount then ':full' else ':partial' end
       from app_public.refunds r join app_public.payments p on p.id = r.payment_id where r.booking_id = any ($1::uuid[])
     order by 1, 2, 3`, [bookingIds]);
  return rows;
}
