// Every real Discovery API sample in ../shared/data/discovery imports, twice, and the second import
// creates nothing. The rows are committed (each file is one transaction, as `npm run import` does);
// counts are taken by the source ids of each file's own events, venues and performers.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import t from 'tap';
import { projectRoot } from '../../lib/config.ts';
import { parseDiscovery, type CatalogueModel } from '../../importer/discovery.ts';
import { importCatalogue } from '../../importer/load.ts';
import { testDatabaseUrl } from '../helpers/db.ts';

const dir = path.resolve(projectRoot, '../shared/data/discovery');
const present = existsSync(dir);

async function countsFor(client: pg.Client, model: CatalogueModel) {
  const { rows } = await client.query(
    `select (select count(*)::int from app_public.events where source = 'ticketmaster' and source_id = any($1)) as events,
            (select count(*)::int from app_public.venues where source = 'ticketmaster' and source_id = any($2)) as venues,
            (select count(*)::int from app_public.performers where source = 'ticketmaster' and source_id = any($3)) as performers,
            (select count(*)::int from app_public.price_tiers p join app_public.events e on e.id = p.event_id
              where e.source = 'ticketmaster' and e.source_id = any($1)) as tiers,
            (select count(*)::int from app_public.event_performers ep join app_public.events e on e.id = ep.event_id
              where e.source = 'ticketmaster' and e.source_id = any($1)) as lineups,
            (select count(*)::int from app_public.tickets t join app_public.events e on e.id = t.event_id
              where e.source = 'ticketmaster' and e.source_id = any($1)) as tickets`,
    [model.events.map((e) => e.sourceId), model.venues.map((v) => v.sourceId), model.performers.map((p) => p.sourceId)]);
  return rows[0] as Record<string, number>;
}

/** Tickets each event should have by the sizing rule: 600 seats, 500 GA places, or none. */
function expectedTickets(model: CatalogueModel): Map<string, number> {
  return new Map(model.events.map((e) => [e.sourceId,
    e.inventory.kind === 'reserved' ? 600 : e.inventory.kind === 'general-admission' ? e.inventory.places : 0]));
}

t.test('real Discovery API samples import, twice', {
  skip: present ? false : '../shared/data/discovery is absent (it exists in CI); skipping real-catalogue import',
}, async (t) => {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  t.teardown(() => client.end());
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  t.ok(files.length > 0, 'sample files found');

  const totals = { events: 0, tickets: 0, firstMs: 0, secondMs: 0 };
  for (const file of files) {
    await t.test(file, async (t) => {
      const model = parseDiscovery(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
      t.ok(model.events.length > 0, `${model.events.length} events parsed`);

      let started = Date.now();
      const first = await importCatalogue(client, model);
      totals.firstMs += Date.now() - started;
      t.equal(first.events.created + first.events.updated + first.events.unchanged, model.events.length, 'every event written or already current');
      t.equal(first.venues.created + first.venues.updated + first.venues.unchanged, model.venues.length);
      const after = await countsFor(client, model);
      t.match(after, { events: model.events.length, venues: model.venues.length, performers: model.performers.length });

      const { rows } = await client.query<{ source_id: string; tickets: number }>(
        `select e.source_id, count(t.id)::int as tickets from app_public.events e left join app_public.tickets t on t.event_id = e.id
          where e.source = 'ticketmaster' and e.source_id = any($1) group by e.source_id`, [model.events.map((e) => e.sourceId)]);
      const expected = expectedTickets(model);
      const wrong = rows.filter((r) => r.tickets !== expected.get(r.source_id));
      t.same(wrong, [], 'tickets per event follow the sizing rule (2+ tiers: 600 seats, 1 tier: 500 GA, none: 0)');

      started = Date.now();
      const second = await importCatalogue(client, model);
      totals.secondMs += Date.now() - started;
      t.match(second, {
        events: { created: 0 }, venues: { created: 0 }, performers: { created: 0 }, priceTiers: 0, tickets: 0, skipped: first.skipped,
      }, 'second import creates nothing');
      t.same(await countsFor(client, model), after, 'same rows after the second import');
      totals.events += model.events.length;
      totals.tickets += after.tickets;
    });
  }
  t.comment(`${files.length} files, ${totals.events} events, ${totals.tickets} tickets; `
    + `first import ${totals.firstMs} ms, second ${totals.secondMs} ms`);
});
