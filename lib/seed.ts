// The demo catalogue (db/seed/demo-catalogue.json, Discovery API format) for a database that has no
// events yet, so that a fresh `npm start` has something to search and sell. Its dates are moved into
// the future on import and its sales are open.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { projectRoot } from './config.ts';
import { parseDiscovery } from '../importer/discovery.ts';
import { importCatalogue } from '../importer/load.ts';

export const DEMO_CATALOGUE_PATH = path.join(projectRoot, 'db/seed/demo-catalogue.json');

export async function seedDemoCatalogue(ownerUrl: string): Promise<{ imported: boolean }> {
  const model = parseDiscovery(JSON.parse(fs.readFileSync(DEMO_CATALOGUE_PATH, 'utf8')));
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query('begin');
    // Two processes starting at once: the second waits, then finds the events of the first.
    await client.query('select pg_advisory_xact_lock(hashtext($1))', ['boxoffice demo catalogue']);
    const { rows } = await client.query<{ empty: boolean }>('select not exists (select 1 from app_public.events) as empty');
    if (!rows[0].empty) {
      await client.query('rollback');
      return { imported: false };
    }
    await importCatalogue(client, model, { rebaseToFuture: new Date(), inTransaction: true });
    await client.query('commit');
    return { imported: true };
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    await client.end();
  }
}
