// npm run import -- <file.json> [more.json] — imports Ticketmaster Discovery API v2 JSON into the
// database `npm start` uses (DATABASE_URL, else the embedded server). Each file is one transaction:
// it is imported entirely or not at all. Importing a file again creates nothing (see docs/importer.md).
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../lib/config.ts';
import { resolveDatabase } from '../lib/database.ts';
import { migrateDatabase } from '../lib/migrate.ts';
import { parseDiscovery } from '../importer/discovery.ts';
import { importCatalogue, type ImportSummary, type RowCounts } from '../importer/load.ts';

const files = process.argv.slice(2);
if (files.length === 0 || files.some((f) => f === '-h' || f === '--help')) {
  console.error('usage: npm run import -- <file.json> [more.json ...]\n'
    + 'Imports Ticketmaster Discovery API v2 JSON (a search response, one event, or an array of them).');
  process.exit(files.length === 0 ? 2 : 0);
}

const counts = (c: RowCounts) => `${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged`;

function report(file: string, s: ImportSummary, ms: number): void {
  const rules = Object.entries(s.timezoneRules).filter(([, n]) => n > 0).map(([rule, n]) => `${rule} ${n}`).join(', ');
  console.log([
    `${file} (${(ms / 1000).toFixed(2)} s)`,
    `  events:      ${counts(s.events)}`,
    `  venues:      ${counts(s.venues)}`,
    `  performers:  ${counts(s.performers)}`,
    `  price tiers: ${s.priceTiers} created, ${s.priceTiersUpdated} updated`,
    `  tickets:     ${s.tickets} created`,
    `  time zones:  ${rules || 'no venues'}`,
    `  skipped:     ${s.skipped.length}${s.skipped.map((k) => `\n    ${k.id}: ${k.reason}`).join('')}`,
  ].join('\n'));
}

// Progress on stderr, at most every 10% of the events, and only for files big enough to wait on.
function progressPrinter(file: string): (done: number, total: number) => void {
  let lastDecile = 0;
  return (done, total) => {
    if (total < 1000 || done === 0) return;
    const decile = Math.floor((done / total) * 10);
    if (decile > lastDecile) {
      lastDecile = decile;
      process.stderr.write(`${file}: ${done}/${total} events (${Math.floor((done * 100) / total)}%)\n`);
    }
  };
}

const config = loadConfig();
const db = await resolveDatabase(config);
let failed = 0;
try {
  await migrateDatabase(db.ownerUrl, config.authenticatorPassword, { quiet: true });
  const client = new pg.Client({ connectionString: db.ownerUrl });
  await client.connect();
  try {
    const started = Date.now();
    for (const file of files) {
      const name = path.basename(file);
      const t0 = Date.now();
      try {
        const model = parseDiscovery(JSON.parse(fs.readFileSync(file, 'utf8')));
        const summary = await importCatalogue(client, model, { onProgress: progressPrinter(name) });
        report(name, summary, Date.now() - t0);
      } catch (err) {
        failed += 1;
        console.error(`${name}: not imported: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (files.length > 1) console.log(`${files.length - failed} of ${files.length} files imported in ${((Date.now() - started) / 1000).toFixed(2)} s`);
  } finally {
    await client.end();
  }
} finally {
  await db.stop();
}
process.exit(failed > 0 ? 1 : 0);
