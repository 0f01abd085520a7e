// Writes a parsed catalogue (importer/discovery.ts) into the database. Every row is keyed by
// (source 'ticketmaster', source id) and upserted, so importing the same file again creates nothing;
// rows the source changed are updated, unchanged rows are left alone (not even rewritten).
//
// Transactions: by default importCatalogue runs the whole import in one transaction of its own on
// the given client (BEGIN ... COMMIT, ROLLBACK on error), so a file is imported entirely or not at
// all. A caller that already opened a transaction on the client passes { inTransaction: true }: then
// nothing is begun or committed here, and on error the caller rolls back.
import type pg from 'pg';
import type { CatalogueModel, EventModel, Skipped } from './discovery.ts';
import { addWeeksLocal, type TimezoneRule } from './timezones.ts';

export const SOURCE = 'ticketmaster';

export interface RowCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface ImportSummary {
  events: RowCounts;
  venues: RowCounts;
  performers: RowCounts;
  /** Price tiers created (changed amounts count in priceTiersUpdated). */
  priceTiers: number;
  priceTiersUpdated: number;
  /** Tickets created; events that had tickets already get none. */
  tickets: number;
  skipped: Skipped[];
  /** How many venues got their time zone by each rule (see importer/timezones.ts). */
  timezoneRules: Record<TimezoneRule, number>;
  /** Whole weeks every event was moved by rebaseToFuture (0 without it). */
  rebasedWeeks: number;
}

export interface ImportOptions {
  /** Move the catalogue into the future relative to this date (demo data); see rebaseCatalogue. */
  rebaseToFuture?: Date | null;
  onProgress?: (done: number, total: number) => void;
  /** The caller has begun a transaction on the client and will commit or roll it back. */
  inTransaction?: boolean;
  /** Events written per round trip; progress is reported after each batch. */
  batchSize?: number;
}

type Queryable = Pick<pg.ClientBase, 'query'>;

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/**
 * Moves every event by the same whole number of weeks (weekday and local wall time stay) so that
 * the earliest starts at least 14 days after `now`, and opens sales: a public sale start still in
 * the future becomes `now`, a sale end already past is dropped (sales then end at the event).
 */
export function rebaseCatalogue(model: CatalogueModel, now: Date): { model: CatalogueModel; weeks: number } {
  if (model.events.length === 0) return { model, weeks: 0 };
  const zones = new Map(model.venues.map((v) => [v.sourceId, v.timezone]));
  const earliest = Math.min(...model.events.map((e) => Date.parse(e.startsAt)));
  const target = now.getTime() + 14 * DAY_MS;
  let weeks = Math.max(0, Math.ceil((target - earliest) / WEEK_MS));
  const shift = (e: EventModel, w: number) => addWeeksLocal(new Date(e.startsAt), w, zones.get(e.venueSourceId) ?? 'UTC');
  // Keeping the wall time across a DST change can move an instant back an hour: then one week more.
  while (model.events.some((e) => shift(e, weeks).getTime() < target)) weeks += 1;
  const nowIso = now.toISOString();
  const events = model.events.map((e): EventModel => {
    const moved = (iso: string | null) => (iso ? new Date(Date.parse(iso) + weeks * WEEK_MS).toISOString() : null);
    const saleStartsAt = moved(e.saleStartsAt);
    const saleEndsAt = moved(e.saleEndsAt);
    const opens = saleStartsAt && saleStartsAt > nowIso ? nowIso : saleStartsAt;
    return {
      ...e,
      startsAt: shift(e, weeks).toISOString(),
      saleStartsAt: opens,
      saleEndsAt: saleEndsAt && saleEndsAt > nowIso && (!opens || saleEndsAt > opens) ? saleEndsAt : null,
    };
  });
  return { model: { ...model, events }, weeks };
}

function emptySummary(model: CatalogueModel): ImportSummary {
  const zero = (): RowCounts => ({ created: 0, updated: 0, unchanged: 0 });
  const timezoneRules: Record<TimezoneRule, number> = { venue: 0, event: 0, country: 0, state: 0, utc: 0 };
  for (const v of model.venues) timezoneRules[v.timezoneRule] += 1;
  return {
    events: zero(), venues: zero(), performers: zero(), priceTiers: 0, priceTiersUpdated: 0, tickets: 0,
    skipped: [...model.skipped], timezoneRules, rebasedWeeks: 0,
  };
}

/** Runs an upsert whose RETURNING gives `created` per written row, and adds the counts up. */
async function countUpsert(client: Queryable, sql: string, params: unknown[], total: number, into: RowCounts): Promise<void> {
  const { rows } = await client.query<{ created: number; updated: number }>(
    `with written as (${sql}) select count(*) filter (where created)::int as created, count(*) filter (where not created)::int as updated from written`,
    params);
  into.created += rows[0].created;
  into.updated += rows[0].updated;
  into.unchanged += total - rows[0].created - rows[0].updated;
}

// `xmax = 0` on a returned row means it was inserted, not updated (an update sets xmax to the
// updating transaction). The WHERE on DO UPDATE skips rows whose values did not change.
const UPSERT_VENUES = `
  insert into app_public.venues as v
    (source, source_id, name, address, city, state, postal_code, country, timezone, latitude, longitude)
  select '${SOURCE}', r.source_id, r.name, r.address, r.city, r.state, r.postal_code, r.country, r.timezone, r.latitude, r.longitude
    from json_to_recordset($1::json) as r(source_id text, name text, address text, city text, state text,
      postal_code text, country text, timezone text, latitude float8, longitude float8)
  on conflict (source, source_id) do update set
    name = excluded.name, address = excluded.address, city = excluded.city, state = excluded.state,
    postal_code = excluded.postal_code, country = excluded.country, timezone = excluded.timezone,
    latitude = excluded.latitude, longitude = excluded.longitude
  where (v.name, v.address, v.city, v.state, v.postal_code, v.country, v.timezone, v.latitude, v.longitude)
    is distinct from (excluded.name, excluded.address, excluded.city, excluded.state, excluded.postal_code,
      excluded.country, excluded.timezone, excluded.latitude, excluded.longitude)
  returning v.xmax = 0 as created`;

const UPSERT_PERFORMERS = `
  insert into app_public.performers as p (source, source_id, name, url)
  select '${SOURCE}', r.source_id, r.name, r.url
    from json_to_recordset($1::json) as r(source_id text, name text, url text)
  on conflict (source, source_id) do update set name = excluded.name, url = excluded.url
  where (p.name, p.url) is distinct from (excluded.name, excluded.url)
  returning p.xmax = 0 as created`;

// An event without prices keeps the currency it had (its tiers' currency follows the event's).
const UPSERT_EVENTS = `
  with r as (
    select r.*, v.id as venue_id, coalesce(r.currency, old.currency, 'USD') as event_currency
      from json_to_recordset($1::json) as r(source_id text, venue_source_id text, title text, description text,
        category text, genre text, url text, image_url text, starts_at timestamptz, status text,
        sale_starts_at timestamptz, sale_ends_at timestamptz, currency text, max_tickets_per_user int)
      join app_public.venues v on v.source = '${SOURCE}' and v.source_id = r.venue_source_id
      left join app_public.events old on old.source = '${SOURCE}' and old.source_id = r.source_id
  )
  insert into app_public.events as e
    (source, source_id, venue_id, title, description, category, genre, url, image_url, starts_at, status,
     sale_starts_at, sale_ends_at, currency, max_tickets_per_user)
  select '${SOURCE}', r.source_id, r.venue_id, r.title, r.description, r.category, r.genre, r.url, r.image_url,
         r.starts_at, r.status, r.sale_starts_at, r.sale_ends_at, r.event_currency, r.max_tickets_per_user
    from r order by r.source_id
  on conflict (source, source_id) do update set
    venue_id = excluded.venue_id, title = excluded.title, description = excluded.description,
    category = excluded.category, genre = excluded.genre, url = excluded.url, image_url = excluded.image_url,
    starts_at = excluded.starts_at, status = excluded.status, sale_starts_at = excluded.sale_starts_at,
    sale_ends_at = excluded.sale_ends_at, currency = excluded.currency,
    max_tickets_per_user = excluded.max_tickets_per_user, updated_at = now()
  where (e.venue_id, e.title, e.description, e.category, e.genre, e.url, e.image_url, e.starts_at, e.status,
         e.sale_starts_at, e.sale_ends_at, e.currency, e.max_tickets_per_user)
    is distinct from (excluded.venue_id, excluded.title, excluded.description, excluded.category, excluded.genre,
         excluded.url, excluded.image_url, excluded.starts_at, excluded.status, excluded.sale_starts_at,
         excluded.sale_ends_at, excluded.currency, excluded.max_tickets_per_user)
  returning e.xmax = 0 as created`;

// Line-ups follow the source: performers it no longer lists for these events are removed.
const SYNC_EVENT_PERFORMERS = `
  with pairs as (
    select e.id as event_id, p.id as performer_id, r.position
      from json_to_recordset($1::json) as r(event_source_id text, performer_source_id text, position int)
      join app_public.events e on e.source = '${SOURCE}' and e.source_id = r.event_source_id
      join app_public.performers p on p.source = '${SOURCE}' and p.source_id = r.performer_source_id
  ), removed as (
    delete from app_public.event_performers ep
     using app_public.events e
     where ep.event_id = e.id and e.source = '${SOURCE}' and e.source_id = any($2::text[])
       and not exists (select 1 from pairs where pairs.event_id = ep.event_id and pairs.performer_id = ep.performer_id)
  )
  insert into app_public.event_performers as ep (event_id, performer_id, position)
  select event_id, performer_id, position from pairs
  on conflict (event_id, performer_id) do update set position = excluded.position
  where ep.position is distinct from excluded.position`;

// Tiers are matched by name and never deleted here: tickets and bookings refer to them.
const UPSERT_PRICE_TIERS = `
  insert into app_public.price_tiers as t (event_id, name, amount, currency)
  select e.id, r.name, r.amount, e.currency
    from json_to_recordset($1::json) as r(event_source_id text, name text, amount int)
    join app_public.events e on e.source = '${SOURCE}' and e.source_id = r.event_source_id
   order by e.id, r.name
  on conflict (event_id, name) do update set amount = excluded.amount
  where t.amount is distinct from excluded.amount
  returning t.xmax = 0 as created`;

// Ordered by id so that concurrent imports lock events in the same order.
const GENERATE_INVENTORY = `
  select coalesce(sum(app_private.generate_event_inventory(x.id)), 0)::int as tickets
    from (select e.id from app_public.events e
           where e.source = '${SOURCE}' and e.source_id = any($1::text[]) order by e.id) x`;

/** Imports the catalogue; see the top of this file for transactions and idempotency. */
export async function importCatalogue(client: Queryable, input: CatalogueModel, opts: ImportOptions = {}): Promise<ImportSummary> {
  const rebased = opts.rebaseToFuture ? rebaseCatalogue(input, opts.rebaseToFuture) : { model: input, weeks: 0 };
  // Rows are written (and so locked) in source-id order: two imports sharing venues or events then
  // wait for each other instead of deadlocking.
  const bySourceId = <T extends { sourceId: string }>(rows: T[]) => [...rows].sort((a, b) => (a.sourceId < b.sourceId ? -1 : a.sourceId > b.sourceId ? 1 : 0));
  const model: CatalogueModel = {
    ...rebased.model,
    venues: bySourceId(rebased.model.venues),
    performers: bySourceId(rebased.model.performers),
    events: bySourceId(rebased.model.events),
  };
  const summary = emptySummary(model);
  summary.rebasedWeeks = rebased.weeks;
  const batchSize = Math.max(1, opts.batchSize ?? 200);
  const total = model.events.length;

  if (!opts.inTransaction) await client.query('begin');
  try {
    opts.onProgress?.(0, total);
    await countUpsert(client, UPSERT_VENUES, [JSON.stringify(model.venues.map((v) => ({
      source_id: v.sourceId, name: v.name, address: v.address, city: v.city, state: v.state,
      postal_code: v.postalCode, country: v.country, timezone: v.timezone, latitude: v.latitude, longitude: v.longitude,
    })))], model.venues.length, summary.venues);
    await countUpsert(client, UPSERT_PERFORMERS, [JSON.stringify(model.performers.map((p) => ({
      source_id: p.sourceId, name: p.name, url: p.url,
    })))], model.performers.length, summary.performers);

    for (let i = 0; i < total; i += batchSize) {
      const batch = model.events.slice(i, i + batchSize);
      await importEvents(client, batch, summary);
      opts.onProgress?.(Math.min(i + batchSize, total), total);
    }
    if (!opts.inTransaction) await client.query('commit');
  } catch (err) {
    if (!opts.inTransaction) await client.query('rollback').catch(() => {});
    throw err;
  }
  return summary;
}

async function importEvents(client: Queryable, events: EventModel[], summary: ImportSummary): Promise<void> {
  const ids = events.map((e) => e.sourceId);
  await countUpsert(client, UPSERT_EVENTS, [JSON.stringify(events.map((e) => ({
    source_id: e.sourceId, venue_source_id: e.venueSourceId, title: e.title, description: e.description,
    category: e.category, genre: e.genre, url: e.url, image_url: e.imageUrl, starts_at: e.startsAt,
    status: e.status, sale_starts_at: e.saleStartsAt, sale_ends_at: e.saleEndsAt, currency: e.currency,
    max_tickets_per_user: e.maxTicketsPerUser,
  })))], events.length, summary.events);

  await client.query(SYNC_EVENT_PERFORMERS, [JSON.stringify(events.flatMap((e) => e.performerSourceIds.map((p, position) => ({
    event_source_id: e.sourceId, performer_source_id: p, position: position + 1,
  })))), ids]);

  const tiers = events.flatMap((e) => e.priceTiers.map((t) => ({ event_source_id: e.sourceId, name: t.name, amount: t.amount })));
  const tierCounts: RowCounts = { created: 0, updated: 0, unchanged: 0 };
  if (tiers.length > 0) await countUpsert(client, UPSERT_PRICE_TIERS, [JSON.stringify(tiers)], tiers.length, tierCounts);
  summary.priceTiers += tierCounts.created;
  summary.priceTiersUpdated += tierCounts.updated;

  const { rows } = await client.query<{ tickets: number }>(GENERATE_INVENTORY, [ids]);
  summary.tickets += rows[0].tickets;
}
