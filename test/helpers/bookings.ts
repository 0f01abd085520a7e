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

/** Jobs queued for these bookings, as graphile-worker 0.18 stores them (_private_jobs + _private_tasks). */
export async function jobsFor(pool: pg.Pool, bookingIds: string[]): Promise<Array<{ task: string; key: string; payload: unknown }>> {
  const { rows } = await pool.query(
    `select t.identifier as task, j.key, j.payload from graphile_worker._private_jobs j
       join graphile_worker._private_tasks t on t.id = j.task_id
      where j.payload ->> 'bookingId' = any ($1::text[]) order by t.identifier, j.key`, [bookingIds]);
  return rows;
}
