// npm run bench:search — latency of event search on a 1,000,000-event catalogue (not a test).
// Uses a dedicated database: `boxoffice_bench` on DATABASE_URL's server when it is set, otherwise an
// embedded PostgreSQL under .data/bench-pg (kept, so the catalogue is generated once and reused).
// Prints p50/p95/p99 per query class for search_events at the SQL level, over HTTP (GET /events), and
// for the naive ILIKE query GET /events used before (same run, same terms), then EXPLAIN (ANALYZE,
// BUFFERS) of the slowest search_events query. BENCH_EVENTS=100000 for a smaller catalogue.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { loadConfig, projectRoot } from '../lib/config.ts';
import { withDatabase } from '../lib/db.ts';
import { startEmbeddedPostgres, type EmbeddedServer } from '../lib/embedded-postgres.ts';
import { migrateDatabase } from '../lib/migrate.ts';
import { buildApp } from '../server/app.ts';
import { CLASSES, ilikeQuery, searchQuery, type Probe } from './search-queries.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const config = loadConfig();
const log = (line: string) => console.log(line);

let embedded: EmbeddedServer | null = null;
let url: string;
if (config.databaseUrl) {
  url = withDatabase(config.databaseUrl, 'boxoffice_bench');
  const admin = new pg.Client({ connectionString: withDatabase(config.databaseUrl, 'postgres') });
  await admin.connect();
  const { rowCount } = await admin.query(`select 1 from pg_database where datname = 'boxoffice_bench'`);
  if (!rowCount) await admin.query('create database boxoffice_bench');
  await admin.end();
} else {
  const dir = path.resolve(projectRoot, process.env.BENCH_PG_DIR ?? '.data/bench-pg');
  fs.mkdirSync(dir, { recursive: true });
  embedded = await startEmbeddedPostgres({ dir, port: Number(process.env.BENCH_PG_PORT ?? 54329) });
  const admin = new pg.Client({ connectionString: embedded.url('postgres') });
  await admin.connect();
  const { rowCount } = await admin.query(`select 1 from pg_database where datname = 'boxoffice_bench'`);
  if (!rowCount) await admin.query('create database boxoffice_bench');
  await admin.end();
  url = embedded.url('boxoffice_bench');
}
log(`database: ${new URL(url).host}/boxoffice_bench`);
await migrateDatabase(url, config.authenticatorPassword, { quiet: true });

const owner = new pg.Client({ connectionString: url });
await owner.connect();
const count = async () => (await owner.query<{ n: number }>(`select count(*)::int as n from app_public.events where source = 'bench'`)).rows[0].n;
let have = await count();
if (have === 0) {
  log(`generating ${EVENTS.toLocaleString('en')} events ...`);
  const started = Date.now();
  const sql = fs.readFileSync(path.join(projectRoot, 'bench/search-catalogue.sql'), 'utf8').replaceAll(':events', String(EVENTS));
  await owner.query('begin');
  await owner.query(sql);
  await owner.query('commit');
  await owner.query('vacuum analyze');
  have = await count();
  log(`generated in ${((Date.now() - started) / 1000).toFixed(0)} s`);
} else {
  log(`reusing the catalogue already there (${have.toLocaleString('en')} events)`);
  // A migration may just have rewritten every event (new search columns): measure the catalogue as
  // autovacuum would leave it, with fresh statistics and visibility map.
  await owner.query('vacuum analyze app_public.events');
}

// The API's view: the visitor role, so row-level security applies as it does for real requests.
const visitor = new pg.Client({ connectionString: url });
await visitor.connect();
await visitor.query('set role boxoffice_visitor');
const ILIKE_TIMEOUT_MS = Number(process.env.BENCH_ILIKE_TIMEOUT_MS ?? 2000);
await visitor.query(`set statement_timeout = ${ILIKE_TIMEOUT_MS}`); // search_events stays far below it
let ilikeTimeouts = 0;

const app = await buildApp({ ...config, logLevel: 'silent' }, url);
await app.listen({ host: '127.0.0.1', port: 0 });
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

type Sample = { ms: number; probe: Probe };
const results = new Map<string, { sql: Sample[]; http: number[]; ilike: number[] }>();
const time = async (fn: () => Promise<unknown>) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

for (const cls of CLASSES) {
  const probes = await cls.probes(visitor);
  const r = { sql: [] as Sample[], http: [] as number[], ilike: [] as number[] };
  for (let round = 0; round <= ROUNDS; round++) {
    for (const probe of probes) {
      const s = searchQuery(probe);
      const i = ilikeQuery(probe);
      const sqlMs = await time(() => visitor.query(s.text, s.values));
      // The naive query can take seconds on 1M events: measured once per probe (in the first measured
      // round), cut off at ILIKE_TIMEOUT_MS (counted as that long, so its percentiles are lower bounds).
      let ilikeMs = Number.NaN;
      if (round === 1) {
        ilikeMs = await time(() => visitor.query(i.text, i.values).catch((err) => {
          if (err.code !== '57014') throw err;
          ilikeTimeouts++;
        }));
      }
      const httpMs = await time(async () => {
        const res = await fetch(`${base}/events?${probe.http}`);
        if (res.status !== 200) throw new Error(`GET /events?${probe.http}: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      });
      if (round === 0) continue; // warm-up
      r.sql.push({ ms: sqlMs, probe });
      if (!Number.isNaN(ilikeMs)) r.ilike.push(ilikeMs);
      r.http.push(httpMs);
    }
  }
  results.set(cls.name, r);
  log(`  measured ${cls.name}`);
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const f = (x: number) => x.toFixed(1).padStart(6);
console.log(`\nsearch_events on ${have.toLocaleString('en')} events, ${ROUNDS} rounds x 10 queries per class, ILIKE once per query (ms; ratio = ILIKE / search_events)\n`);
console.log('| class | SQL p50 | SQL p95 | SQL p99 | HTTP p50 | HTTP p95 | HTTP p99 | ILIKE p50 | ILIKE p95 | ILIKE p99 | ratio p50 | ratio p95 |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
let slowest: Sample | null = null;
for (const [name, r] of results) {
  const sql = r.sql.map((x) => x.ms);
  for (const x of r.sql) if (!slowest || x.ms > slowest.ms) slowest = x;
  console.log(`| ${name} | ${f(pct(sql, 50))} | ${f(pct(sql, 95))} | ${f(pct(sql, 99))} | ${f(pct(r.http, 50))} | ${f(pct(r.http, 95))} | ${f(pct(r.http, 99))} | ${f(pct(r.ilike, 50))} | ${f(pct(r.ilike, 95))} | ${f(pct(r.ilike, 99))} | ${(pct(r.ilike, 50) / pct(sql, 50)).toFixed(1)}x | ${(pct(r.ilike, 95) / pct(sql, 95)).toFixed(1)}x |`);
}
if (ilikeTimeouts) console.log(`\nILIKE: ${ilikeTimeouts} queries hit the ${ILIKE_TIMEOUT_MS} ms cut-off (counted as ${ILIKE_TIMEOUT_MS} ms; its figures are lower bounds). ILIKE finds nothing for the typo class.`);
const all = [...results.values()].flatMap((r) => r.sql.map((x) => x.ms));
console.log(`\nall classes, SQL level: p50 ${pct(all, 50).toFixed(1)} ms, p95 ${pct(all, 95).toFixed(1)} ms, p99 ${pct(all, 99).toFixed(1)} ms (goal p95 <= 20 ms)`);

if (slowest) {
  // search_events builds its query dynamically: auto_explain shows the plan of the statement inside.
  const s = searchQuery(slowest.probe);
  console.log(`\nslowest: ${slowest.probe.label} (${slowest.ms.toFixed(1)} ms); its statement, EXPLAIN (ANALYZE, BUFFERS) via auto_explain:\n`);
  const notices: string[] = [];
  owner.on('notice', (n) => notices.push(n.message ?? ''));
  await owner.query(`load 'auto_explain'`);
  await owner.query(`set auto_explain.log_min_duration = 0; set auto_explain.log_analyze = on; set auto_explain.log_buffers = on;
                     set auto_explain.log_nested_statements = on; set client_min_messages = log`);
  await owner.query('set role boxoffice_visitor');
  await owner.query(s.text, s.values);
  await owner.query('reset role; reset client_min_messages');
  const inner = notices.filter((n) => n.includes('Query Text:') && !n.includes('search_events(')).at(-1) ?? notices.at(-1) ?? '(no plan logged)';
  console.log(inner);
}

await app.close();
await visitor.end();
await owner.end();
if (embedded) await embedded.stop();
