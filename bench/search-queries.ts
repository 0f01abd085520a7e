// The fixed query mix of the search benchmark, as search_events calls, GET /events query strings and
// the naive ILIKE query that GET /events ran before search existed (substring match on title, venue,
// city and performers, keyset on start time), for the same terms.
import type pg from 'pg';

export interface Probe {
  label: string;
  q: string | null;
  filters: { city?: string; country?: string; category?: string; minPrice?: number; maxPrice?: number; fromDays?: number; toDays?: number };
  /** search_events cursor for a deep page, and the matching ILIKE keyset (start time, id). */
  cursor?: string;
  ilikeAfter?: [string, string];
  http: string;
}

const single = ['springsteen', 'nakamura', 'okafor', 'phoenix', 'pumpkins', 'haddad', 'kowalski', 'lindqvist', 'monkeys', 'quartet'];
const two = ['bruce springsteen', 'arctic monkeys', 'yuki tanaka', 'dj nova', 'elena rossi', 'smashing pumpkins', 'greta novak', 'daniel silva', 'velvet strangers', 'jose garcia'];
const prefix = ['spri', 'naka', 'phoe', 'pump', 'kowal', 'lindq', 'monk', 'hadd', 'okaf', 'strang'];
const typo = ['sprinsteen', 'nakamra', 'pheonix', 'pumkins', 'kowalsky', 'lindqvst', 'monkies', 'hadad', 'okafr', 'strangrs'];
const filters: Probe['filters'][] = [
  { city: 'London' }, { city: 'zurich', category: 'music' }, { country: 'US', minPrice: 5000, maxPrice: 8000 },
  { category: 'comedy', fromDays: 30, toDays: 60 }, { city: 'Köln' }, { country: 'JP' }, { category: 'sports', city: 'madrid' },
  { minPrice: 20000 }, { city: 'new york', fromDays: 100, toDays: 130 }, { country: 'fr', category: 'family' },
];

function http(q: string | null, f: Probe['filters'], cursor?: string): string {
  const p = new URLSearchParams();
  if (q) p.set('q', q);
  if (f.city) p.set('city', f.city);
  if (f.country) p.set('country', f.country);
  if (f.category) p.set('category', f.category);
  if (f.minPrice !== undefined) p.set('minPrice', String(f.minPrice));
  if (f.maxPrice !== undefined) p.set('maxPrice', String(f.maxPrice));
  if (f.fromDays !== undefined) p.set('from', new Date(Date.now() + f.fromDays * 864e5).toISOString());
  if (f.toDays !== undefined) p.set('to', new Date(Date.now() + f.toDays * 864e5).toISOString());
  if (cursor) p.set('cursor', cursor);
  return p.toString();
}

const probe = (label: string, q: string | null, f: Probe['filters'] = {}): Probe => ({ label, q, filters: f, http: http(q, f) });

export function searchQuery(p: Probe): { text: string; values: unknown[] } {
  const f = p.filters;
  return {
    text: `select (h.event).id, h.cursor from app_public.search_events(q => $1, city => $2, country => $3, category => $4,
             min_price => $5, max_price => $6, from_time => now() + make_interval(days => $7), to_time => now() + make_interval(days => $8),
             cursor => $9, page_size => 21) h`,
    values: [p.q, f.city ?? null, f.country ?? null, f.category ?? null, f.minPrice ?? null, f.maxPrice ?? null,
             f.fromDays ?? null, f.toDays ?? null, p.cursor ?? null],
  };
}

/** The query GET /events ran before search (server/routes/events.ts at the walking skeleton). */
export function ilikeQuery(p: Probe): { text: string; values: unknown[] } {
  const f = p.filters;
  const values: unknown[] = [];
  const v = (x: unknown) => `$${values.push(x)}`;
  const where = [`e.starts_at >= ${f.fromDays !== undefined ? `now() + make_interval(days => ${v(f.fromDays)})` : 'now()'}`];
  if (f.toDays !== undefined) where.push(`e.starts_at < now() + make_interval(days => ${v(f.toDays)})`);
  if (f.city) where.push(`v.city ilike ${v(f.city)}`);
  if (f.country) where.push(`v.country = ${v(f.country.toUpperCase())}`);
  if (f.category) where.push(`e.category ilike ${v(f.category)}`);
  if (f.minPrice !== undefined || f.maxPrice !== undefined) {
    where.push(`exists (select 1 from app_public.price_tiers pt where pt.event_id = e.id and pt.amount between ${v(f.minPrice ?? 0)} and ${v(f.maxPrice ?? 2147483647)})`);
  }
  if (p.q) {
    const like = v(`%${p.q}%`);
    where.push(`(e.title ilike ${like} or v.name ilike ${like} or v.city ilike ${like}
                 or exists (select 1 from app_public.event_performers ep join app_public.performers pf on pf.id = ep.performer_id
                             where ep.event_id = e.id and pf.name ilike ${like}))`);
  }
  if (p.ilikeAfter) where.push(`(e.starts_at, e.id) > (${v(p.ilikeAfter[0])}::timestamptz, ${v(p.ilikeAfter[1])}::uuid)`);
  return {
    text: `select e.id from app_public.events e join app_public.venues v on v.id = e.venue_id
            where ${where.join(' and ')} order by e.starts_at, e.id limit 21`,
    values,
  };
}

/** A probe 25 pages (500 events) deep: the cursors after event 500 of both queries. */
async function deep(client: pg.Client, base: Probe): Promise<Probe> {
  let cursor: string | undefined;
  const p = { ...base };
  for (let page = 0; page < 25; page++) {
    const s = searchQuery({ ...p, cursor });
    const rows = (await client.query(s.text, s.values)).rows;
    if (rows.length < 21) break;
    cursor = rows[19].cursor;
  }
  const i = ilikeQuery(p);
  const { rows } = await client.query(
    `select starts_at, id from (${i.text.replace('select e.id', 'select e.starts_at, e.id').replace('limit 21', 'offset 500 limit 1')}) x`, i.values);
  return { ...p, label: `${base.label}, page 26`, cursor, ilikeAfter: rows[0] ? [rows[0].starts_at.toISOString(), rows[0].id] : undefined,
           http: http(p.q, p.filters, cursor) };
}

export const CLASSES: Array<{ name: string; probes: (client: pg.Client) => Promise<Probe[]> }> = [
  { name: 'single word', probes: async () => single.map((q) => probe(`q=${q}`, q)) },
  { name: 'two words', probes: async () => two.map((q) => probe(`q=${q}`, q)) },
  { name: 'prefix', probes: async () => prefix.map((q) => probe(`q=${q}`, q)) },
  { name: 'typo', probes: async () => typo.map((q) => probe(`q=${q}`, q)) },
  { name: 'filter only', probes: async () => filters.map((f) => probe(`filters ${JSON.stringify(f)}`, null, f)) },
  {
    name: 'deep page (26th)',
    probes: async (client) => {
      const deepProbes: Probe[] = [];
      // One after another: the client runs one query at a time.
      for (const p of [...single.slice(0, 5).map((q) => probe(`q=${q}`, q)),
                       ...filters.slice(0, 5).map((f) => probe(`filters ${JSON.stringify(f)}`, null, f))]) {
        deepProbes.push(await deep(client, p));
      }
      return deepProbes;
    },
  },
];
