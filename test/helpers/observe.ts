// Small helpers for HTTP-level tests: what the database holds for an event (to prove that a refused
// request wrote nothing), hand-made tokens, GraphQL calls, and waiting until a backend is blocked on a lock.
import { createHmac } from 'node:crypto';
import type pg from 'pg';
import type { TestServer } from './server.ts';

export interface WriteCounts {
  bookings: number;
  bookingTickets: number;
  payments: number;
}

/** Rows an event has in bookings, booking_tickets and payments (read on the owner pool, past RLS). */
export async function writesFor(pool: pg.Pool, eventId: string): Promise<WriteCounts> {
  const { rows } = await pool.query<WriteCounts>(
    `select (select count(*) from app_public.bookings where event_id = $1)::int as "bookings",
            (select count(*) from app_public.booking_tickets where event_id = $1)::int as "bookingTickets",
            (select count(*) from app_public.payments p join app_public.bookings b on b.id = p.booking_id
              where b.event_id = $1)::int as "payments"`, [eventId]);
  return rows[0];
}

/** Live claims (overlapping now) per ticket of an event. */
export async function liveClaimsFor(pool: pg.Pool, eventId: string): Promise<Array<{ ticketId: string; bookingId: string }>> {
  const { rows } = await pool.query(
    `select ticket_id as "ticketId", booking_id as "bookingId" from app_public.booking_tickets
      where event_id = $1 and claimed && tstzrange(now(), 'infinity') order by ticket_id`, [eventId]);
  return rows;
}

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** An HS256 JWT signed with `secret` (or an unsigned one with alg none). */
export function signJwt(payload: Record<string, unknown>, secret: string, alg: 'HS256' | 'none' = 'HS256'): string {
  const head = `${b64url({ alg, typ: 'JWT' })}.${b64url(payload)}`;
  if (alg === 'none') return `${head}.`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

/** POST /graphql; returns status, data and errors. */
export async function graphql(server: TestServer, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const res = await server.request('POST', '/graphql', { token, body: { query, variables } });
  return { status: res.status, data: res.body?.data ?? null, errors: (res.body?.errors ?? []) as Array<{ message: string; extensions?: Record<string, unknown> }> };
}

/** n tokens of n new users; each user is created in the database by one authenticated request. */
export async function loginMany(server: TestServer, n: number): Promise<string[]> {
  const tokens = await Promise.all(Array.from({ length: n }, () => server.login()));
  // The server creates a user on the first request that carries its token: do that now, so the
  // requests under test measure only themselves.
  await Promise.all(tokens.map((token) => server.request('GET', '/bookings/00000000-0000-4000-8000-000000000000', { token })));
  return tokens;
}

/**
 * Waits (by polling pg_stat_activity, no timers) until at least `count` backends whose query contains
 * `needle` are waiting for a lock, or until `unless()` says there is nothing more to wait for. Throws
 * after `maxPolls` looks.
 */
export async function waitUntilBlocked(pool: pg.Pool, needle: string,
  opts: { count?: number; unless?: () => boolean; maxPolls?: number } = {}): Promise<void> {
  const { count = 1, unless = () => false, maxPolls = 5000 } = opts;
  for (let i = 0; i < maxPolls; i++) {
    if (unless()) return;
    const { rows } = await pool.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and position($1 in query) > 0
          and pid <> pg_backend_pid()`, [needle]);
    if (rows[0].n >= count) return;
  }
  throw new Error(`fewer than ${count} backends running "${needle}" became blocked on a lock`);
}
