// Catalogue fixtures for search tests: one venue per test file (so a `venue=` filter isolates the file's
// events from everyone else's) and events with performers, made as the owner.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { TestServer } from './server.ts';

export interface SearchEventSpec {
  title: string;
  performers?: string[];
  category?: string;
  description?: string;
  startsIn?: string;
  status?: 'published' | 'cancelled' | 'draft';
  price?: number;
}

export async function makeVenue(pool: pg.Pool, opts: { name?: string; city?: string; country?: string } = {}): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `insert into app_public.venues (name, city, country, timezone) values ($1, $2, $3, 'Europe/Zurich') returning id`,
    [opts.name ?? `Search Hall ${randomUUID().slice(0, 8)}`, opts.city ?? 'Zürich', opts.country ?? 'CH']);
  return rows[0].id;
}

/** An event at the venue with its performers (created, or reused by name) and one price tier. */
export async function makeSearchEvent(pool: pg.Pool, venueId: string, spec: SearchEventSpec): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `insert into app_public.events (venue_id, title, category, description, starts_at, status, currency)
     values ($1, $2, $3, $4, now() + $5::interval, $6, 'CHF') returning id`,
    [venueId, spec.title, spec.category ?? 'Music', spec.description ?? null, spec.startsIn ?? '30 days', spec.status ?? 'published']);
  const eventId = rows[0].id;
  await pool.query(`insert into app_public.price_tiers (event_id, name, amount, currency) values ($1, 'Standard', $2, 'CHF')`,
    [eventId, spec.price ?? 5000]);
  for (const [position, name] of (spec.performers ?? []).entries()) {
    const performer = await pool.query<{ id: string }>(
      `with found as (select id from app_public.performers where name = $1 and source = 'search-test' limit 1),
            made as (insert into app_public.performers (name, source, source_id)
                     select $1, 'search-test', gen_random_uuid()::text where not exists (select 1 from found) returning id)
       select id from found union all select id from made`, [name]);
    await pool.query('insert into app_public.event_performers (event_id, performer_id, position) values ($1, $2, $3)',
      [eventId, performer.rows[0].id, position]);
  }
  return eventId;
}

/** GET /events with these query parameters; the ids in the order returned. */
export async function searchIds(server: TestServer, params: Record<string, string | number | boolean>) {
  const query = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
  const res = await server.request('GET', `/events?${query}`);
  return { status: res.status, body: res.body, ids: (res.body?.items ?? []).map((e: { id: string }) => e.id) as string[] };
}

/** Follows nextCursor to the end; every id in order, and the problems met. */
export async function allPages(server: TestServer, params: Record<string, string | number | boolean>, maxPages = 100) {
  const ids: string[] = [];
  const problems: string[] = [];
  let cursor: string | null = null;
  for (let page = 1; page <= maxPages; page++) {
    const res = await searchIds(server, cursor ? { ...params, cursor } : params);
    if (res.status !== 200) {
      problems.push(`page ${page}: ${res.status} ${res.body?.error?.code}`);
      break;
    }
    ids.push(...res.ids);
    cursor = res.body.nextCursor;
    if (!cursor) break;
  }
  return { ids, problems };
}
