// The project's own demo catalogue (db/seed/demo-catalogue.json) imports offline with the values a
// buyer would see. Runs in one transaction that is rolled back, so other tests never see these rows
// and a concurrent seed of the same catalogue cannot change what this test reads.
import fs from 'node:fs';
import pg from 'pg';
import t from 'tap';
import { parseDiscovery } from '../../importer/discovery.ts';
import { importCatalogue, rebaseCatalogue } from '../../importer/load.ts';
import { utcToLocal } from '../../importer/timezones.ts';
import { DEMO_CATALOGUE_PATH, seedDemoCatalogue } from '../../lib/seed.ts';
import { testDatabaseUrl } from '../helpers/db.ts';

const model = parseDiscovery(JSON.parse(fs.readFileSync(DEMO_CATALOGUE_PATH, 'utf8')));
const ids = model.events.map((e) => e.sourceId);

const client = new pg.Client({ connectionString: testDatabaseUrl() });
await client.connect();
t.teardown(() => client.end());

await client.query('begin');
t.teardown(() => client.query('rollback'));
const first = await importCatalogue(client, model, { inTransaction: true });

async function one<T>(sql: string, params: unknown[] = []): Promise<T> {
  const { rows } = await client.query(sql, params);
  return rows[0] as T;
}

const eventRow = (sourceId: string) => one<Record<string, any>>(
  `select e.*, v.name as venue_name, v.source_id as venue_source_id, v.timezone, v.country, v.city,
          (select count(*)::int from app_public.tickets t where t.event_id = e.id) as tickets,
          (select coalesce(json_object_agg(p.name, p.amount), '{}') from app_public.price_tiers p where p.event_id = e.id) as tiers
     from app_public.events e join app_public.venues v on v.id = e.venue_id
    where e.source = 'ticketmaster' and e.source_id = $1`, [sourceId]);

t.test('the catalogue is what the file says', async (t) => {
  t.equal(model.events.length, 12);
  t.same(model.skipped, []);
  t.equal(first.events.created + first.events.updated + first.events.unchanged, 12);
  t.same(first.timezoneRules, { venue: 9, event: 1, country: 1, state: 1, utc: 0 }, 'time zone rule of each venue');
});

t.test('money is stored in the minor unit of each currency', async (t) => {
  const tokyo = await eventRow('BXDEMO-E03');
  t.equal(tokyo.currency, 'JPY');
  t.same(tokyo.tiers, { Standard: 6800 }, 'JPY 6,800 is stored as 6800 (whole yen)');
  t.same((await eventRow('BXDEMO-E04')).tiers, { Standard: 3500, Premium: 9550 }, 'EUR 35.00 and 95.50 in cents');
  t.same((await eventRow('BXDEMO-E05')).currency, 'GBP');
  t.same((await eventRow('BXDEMO-E10')).tiers, { Standard: 12500 }, 'KWD 12.500 in fils (three decimals)');
  t.same((await eventRow('BXDEMO-E01')).tiers, { Standard: 9900, Premium: 17900 }, 'ISK has no minor unit');
});

t.test('time zones and start times', async (t) => {
  const harpa = await eventRow('BXDEMO-E01');
  t.equal(harpa.timezone, 'Atlantic/Reykjavik', 'venue without a zone: derived from its country (IS)');
  t.equal(harpa.country, 'IS', 'country code upper-cased');
  t.equal(harpa.city, 'Reykjavík');
  t.equal((await eventRow('BXDEMO-E08')).timezone, 'America/Toronto', 'derived from the province (ON)');
  const tacuba = await eventRow('BXDEMO-E02');
  t.equal(tacuba.starts_at.toISOString(), '2025-10-05T02:30:00.000Z', 'local 20:30 in Mexico City (UTC-6) without a UTC time');
  t.equal((await eventRow('BXDEMO-E11')).starts_at.toISOString(), '2025-12-30T23:00:00.000Z', 'date only: midnight in Berlin');
  t.equal((await eventRow('BXDEMO-E03')).starts_at.toISOString(), '2025-10-17T10:00:00.000Z', 'the source UTC time when given');
});

t.test('an event at a place, not a venue', async (t) => {
  const e = await eventRow('BXDEMO-E09');
  t.match(e.venue_source_id, /^place:/);
  t.equal(e.venue_name, 'Djurgårdsslätten 49-51');
  t.equal(e.city, 'Stockholm');
  t.equal(e.timezone, 'Europe/Stockholm', "from the event's dates.timezone");
  t.equal(e.tickets, 500);
});

t.test('inventory follows the price tiers', async (t) => {
  const noPrice = await eventRow('BXDEMO-E08');
  t.same(noPrice.tiers, {}, 'no priceRanges: no tiers');
  t.equal(noPrice.tickets, 0, 'and no tickets: listed, not sold');

  const seated = await eventRow('BXDEMO-E12');
  t.equal(seated.tickets, 600, 'two tiers: one ticket per seat of the default layout');
  const { rows: sections } = await client.query(
    `select s.section, count(*)::int as tickets, min(p.amount) as min, max(p.amount) as max, min(t.position) as first
       from app_public.tickets t join app_public.seats s on s.id = t.seat_id join app_public.price_tiers p on p.id = t.price_tier_id
      where t.event_id = $1 group by s.section order by first`, [seated.id]);
  t.same(sections, [
    { section: 'Floor', tickets: 200, min: 19900, max: 19900, first: 1 },
    { section: 'Lower', tickets: 200, min: 4950, max: 4950, first: 201 },
    { section: 'Upper', tickets: 200, min: 4950, max: 4950, first: 401 },
  ], 'Floor at the higher price and first in position order; the other sections at the lower');
  const best = await one<{ row_label: string; seat_number: number }>(
    `select s.row_label, s.seat_number from app_public.tickets t join app_public.seats s on s.id = t.seat_id
      where t.event_id = $1 order by t.position limit 1`, [seated.id]);
  t.same(best, { row_label: 'A', seat_number: 1 }, 'best seat is Floor A1');

  const gbp = await client.query(
    `select s.section, p.amount from app_public.tickets t join app_public.seats s on s.id = t.seat_id
       join app_public.price_tiers p on p.id = t.price_tier_id
      where t.event_id = (select id from app_public.events where source = 'ticketmaster' and source_id = 'BXDEMO-E05')
      group by 1, 2 order by 2 desc`);
  t.same(gbp.rows, [{ section: 'Floor', amount: 5500 }, { section: 'Lower', amount: 5000 }, { section: 'Upper', amount: 2750 }],
    'four tiers over three sections: the three dearest, in order');

  const ga = await eventRow('BXDEMO-E03');
  t.equal(ga.tickets, 500, 'one tier: 500 general-admission places');
  const gaShape = await one<Record<string, number>>(
    `select count(*) filter (where seat_id is null)::int as unseated, min(position) as min, max(position) as max,
            count(distinct position)::int as positions from app_public.tickets where event_id = $1`, [ga.id]);
  t.same(gaShape, { unseated: 500, min: 1, max: 500, positions: 500 });
});

t.test('event details', async (t) => {
  const e = await eventRow('BXDEMO-E12');
  t.equal(e.title, 'Brooklyn Hip-Hop / R&B Block Party');
  t.equal(e.max_tickets_per_user, 4);
  t.equal(e.image_url, 'https://images.boxoffice.example/demo/block-party-2048.jpg', 'widest image');
  const { rows } = await client.query(
    `select p.name, ep.position from app_public.event_performers ep join app_public.performers p on p.id = ep.performer_id
      where ep.event_id = $1 order by ep.position`, [e.id]);
  t.same(rows, [{ name: 'MC Juniper', position: 1 }, { name: 'Sasha-Rae', position: 2 }, { name: "The D'Angelo Tribute Band", position: 3 }]);
  t.equal((await eventRow('BXDEMO-E05')).max_tickets_per_user, 6, 'general on-sale limit, not the presale one');
  t.equal((await eventRow('BXDEMO-E10')).status, 'postponed');
  t.equal((await eventRow('BXDEMO-E11')).status, 'cancelled');
  t.equal((await eventRow('BXDEMO-E05')).status, 'published', 'rescheduled events are on sale');
  const paris = await eventRow('BXDEMO-E04');
  t.equal(paris.category, 'Arts & Theatre', 'the primary classification, not the first');
  t.equal(paris.title, "Orchestre de l'Opéra: Beethoven/Brahms");
  t.equal((await eventRow('BXDEMO-E08')).genre, null);
  t.equal((await eventRow('BXDEMO-E02')).description, 'Boletos sin reembolso. Niños mayores de 3 años pagan boleto.');
  const sigur = await one<{ n: number }>(
    `select count(distinct ep.event_id)::int as n from app_public.event_performers ep join app_public.performers p on p.id = ep.performer_id
      where p.source = 'ticketmaster' and p.source_id = 'BXDEMO-A01'`);
  t.equal(sigur.n, 2, 'one performer row shared by two events');
});

t.test('importing again creates nothing and keeps the tickets', async (t) => {
  const count = () => one<{ tickets: number; tiers: number }>(
    `select (select count(*)::int from app_public.tickets t join app_public.events e on e.id = t.event_id where e.source_id = any($1)) as tickets,
            (select count(*)::int from app_public.price_tiers p join app_public.events e on e.id = p.event_id where e.source_id = any($1)) as tiers`, [ids]);
  const before = await count();
  const again = await importCatalogue(client, model, { inTransaction: true });
  t.match(again, { events: { created: 0, updated: 0, unchanged: 12 }, venues: { created: 0, updated: 0 }, performers: { created: 0, updated: 0 }, priceTiers: 0, tickets: 0 });
  t.same(await count(), before);

  // A price change in the source updates the tier; the event keeps its tickets.
  const changed = structuredClone(model);
  changed.events.find((e) => e.sourceId === 'BXDEMO-E03')!.priceTiers[0].amount = 7200;
  const update = await importCatalogue(client, changed, { inTransaction: true });
  t.match(update, { events: { updated: 0 }, priceTiers: 0, priceTiersUpdated: 1, tickets: 0 });
  t.same((await eventRow('BXDEMO-E03')).tiers, { Standard: 7200 });
  t.same(await count(), before);
});

t.test('rebasing moves the catalogue into the future by whole weeks and opens sales', async (t) => {
  const now = new Date('2027-03-10T12:00:00Z');
  const { model: rebased, weeks } = rebaseCatalogue(model, now);
  t.ok(weeks > 0);
  const zones = new Map(model.venues.map((v) => [v.sourceId, v.timezone]));
  const earliest = Math.min(...rebased.events.map((e) => Date.parse(e.startsAt)));
  t.ok(earliest >= now.getTime() + 14 * 86_400_000, 'earliest event at least 14 days ahead');
  t.ok(earliest < now.getTime() + 21 * 86_400_000, 'but not a week more than needed');
  for (const [i, e] of rebased.events.entries()) {
    const zone = zones.get(e.venueSourceId)!;
    const before = utcToLocal(new Date(model.events[i].startsAt), zone);
    const after = utcToLocal(new Date(e.startsAt), zone);
    t.equal(after.slice(11), before.slice(11), `${e.sourceId}: same local time`);
    t.equal(new Date(after.slice(0, 10)).getUTCDay(), new Date(before.slice(0, 10)).getUTCDay(), `${e.sourceId}: same weekday`);
    t.ok(e.saleStartsAt === null || Date.parse(e.saleStartsAt) <= now.getTime(), `${e.sourceId}: sales open`);
    t.ok(e.saleEndsAt === null || Date.parse(e.saleEndsAt) > now.getTime(), `${e.sourceId}: sales not over`);
  }
  // The database accepts the rebased catalogue (sale window checks) inside this transaction.
  await client.query('savepoint rebase');
  const summary = await importCatalogue(client, model, { inTransaction: true, rebaseToFuture: now });
  t.equal(summary.rebasedWeeks, weeks);
  t.ok((await eventRow('BXDEMO-E01')).starts_at.getTime() >= now.getTime() + 14 * 86_400_000);
  await client.query('rollback to savepoint rebase');
});

t.test('seedDemoCatalogue does nothing when there are events', async (t) => {
  // Committed on its own connection so that the seed, on another, sees a non-empty catalogue.
  const other = new pg.Client({ connectionString: testDatabaseUrl() });
  await other.connect();
  t.teardown(() => other.end());
  const own = parseDiscovery({ type: 'event', id: `seed-guard-${process.pid}-${Date.now()}`, name: 'Seed guard',
    dates: { start: { dateTime: '2030-01-01T20:00:00Z' } },
    _embedded: { venues: [{ id: `seed-guard-venue-${process.pid}`, name: 'Guard Hall', timezone: 'UTC' }] } });
  await importCatalogue(other, own);
  t.teardown(async () => {
    await other.query(`delete from app_public.events where source = 'ticketmaster' and source_id = $1`, [own.events[0].sourceId]);
    await other.query(`delete from app_public.venues where source = 'ticketmaster' and source_id = $1`, [own.venues[0].sourceId]);
  });
  t.same(await seedDemoCatalogue(testDatabaseUrl()), { imported: false });
});
