// Benchmark (not a test): what the confirmation's follow-up work costs on the hot path. Each
// variant confirms bookings (app_private.record_payment_succeeded) from many concurrent clients:
//   baseline  - the confirmation with no follow-up work at all (queue_email replaced by a no-op)
//   outbox    - what Boxoffice does: the mail row plus an outbox row, drained later in batches
//   add_job   - the mail row plus graphile_worker.add_job in the same transaction (NOTIFY per commit)
// Variants run interleaved in one process against one fresh database, so the ratios compare like
// with like; each ratio is taken within a round (same moment, same machine load), and the median
// over rounds is reported. Usage: node bench/confirm-hot-path.ts [confirmations] [clients] [rounds]
// (DATABASE_URL's server when set, else a throwaway embedded PostgreSQL.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../lib/config.ts';
import { createPool, withDatabase } from '../lib/db.ts';
import { startEmbeddedPostgres } from '../lib/embedded-postgres.ts';
import { migrateDatabase } from '../lib/migrate.ts';

const perRound = Number(process.argv[2] ?? 2000);
const clients = Number(process.argv[3] ?? 16);
const rounds = Number(process.argv[4] ?? 5);
const config = loadConfig();

const QUEUE_EMAIL = {
  baseline: `select null::void`,
  outbox: null as string | null, // the function as shipped in db/functions/notifications.sql
  add_job: `select graphile_worker.add_job('emails__send', json_build_object('emailId', m.id), job_key := 'emails__send:' || m.id)::text::void
              from app_hidden.insert_email(queue_email.booking_id, queue_email.kind, queue_email.variant) m`,
};
type Variant = keyof typeof QUEUE_EMAIL;

let stopServer = async () => {};
let serverUrl = config.databaseUrl;
let dir: string | null = null;
if (!serverUrl) {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'boxoffice-bench-pg-'));
  const embedded = await startEmbeddedPostgres({ dir, port: 54000 + Math.floor(Math.random() * 900) });
  serverUrl = embedded.url('postgres');
  stopServer = () => embedded.stop();
}
const database = `bx_payments_bench_${process.pid}`;
const admin = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
await admin.connect();
await admin.query(`create database ${database}`);
const url = withDatabase(serverUrl, database);
const pool = createPool(url, clients + 2);

try {
  await migrateDatabase(url, config.authenticatorPassword, { quiet: true });
  const shipped = (await pool.query(`select pg_get_functiondef('app_hidden.queue_email(uuid, text, text)'::regprocedure) as def`)).rows[0].def as string;

  /** perRound held bookings (one ticket each) with a pending payment; returns the payment ids. */
  async function setUp(): Promise<string[]> {
    const c = await pool.connect();
    try {
      await c.query('begin');
      const { rows: [ev] } = await c.query(`with v as (insert into app_public.venues (name, timezone) values ('Bench Hall', 'UTC') returning id)
        insert into app_public.events (venue_id, title, starts_at, status, currency, max_tickets_per_user)
        select id, 'Bench', now() + interval '30 days', 'published', 'EUR', 100 from v returning id`);
      const { rows: [tier] } = await c.query(`insert into app_public.price_tiers (event_id, name, amount, currency) values ($1, 'A', 5000, 'EUR') returning id`, [ev.id]);
      const { rows: tickets } = await c.query(`insert into app_public.tickets (event_id, price_tier_id, position)
        select $1, $2, n from generate_series(1, $3::int) n returning id`, [ev.id, tier.id, perRound]);
      await c.query('commit');
      const payments: string[] = [];
      // One buyer per booking, as in an on-sale: confirmations then contend only where the product
      // makes them (the event's rows), not on one buyer's lock.
      await c.query('begin');
      for (const t of tickets) {
        const user = (await c.query(`select app_private.upsert_user('bench', gen_random_uuid()::text, null, 'Bench') as id`)).rows[0].id;
        await c.query(`select set_config('jwt.claims.user_id', $1, true), set_config('boxoffice.payment_provider', 'dev', true)`, [user]);
        const b = (await c.query(`select (app_public.create_booking($1, array[$2::uuid])).id`, [ev.id, t.id])).rows[0].id;
        payments.push((await c.query(`select (app_public.start_checkout($1)).id`, [b])).rows[0].id);
      }
      await c.query('commit');
      return payments;
    } finally {
      c.release();
    }
  }

  async function run(variant: Variant, payments: string[]): Promise<number> {
    const body = QUEUE_EMAIL[variant];
    await pool.query(body === null ? shipped : shipped.replace(/AS \$function\$[\s\S]*\$function\$/, `as $function$${body}$function$`));
    const queue = [...payments];
    const started = performance.now();
    await Promise.all(Array.from({ length: clients }, async () => {
      const c = await pool.connect();
      try {
        for (let id = queue.pop(); id; id = queue.pop()) await c.query('select app_private.record_payment_succeeded($1)', [id]);
      } finally {
        c.release();
      }
    }));
    return payments.length / ((performance.now() - started) / 1000);
  }

  const results: Record<Variant, number[]> = { baseline: [], outbox: [], add_job: [] };
  for (let r = 0; r < rounds; r++) {
    for (const variant of Object.keys(results) as Variant[]) results[variant].push(await run(variant, await setUp()));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = median(results.baseline);
  const { rows: [v] } = await pool.query('show server_version');
  console.log(`PostgreSQL ${v.server_version}, ${clients} clients, ${perRound} confirmations per variant per round, ${rounds} rounds (median)`);
  for (const variant of Object.keys(results) as Variant[]) {
    const m = median(results[variant]);
    const ratios = results[variant].map((x, i) => x / results.baseline[i]);
    console.log(`${variant.padEnd(9)} ${m.toFixed(0).padStart(6)} confirmations/s (median)  ratio to baseline in the same round: median ${median(ratios).toFixed(2)}x`
      + `  [${ratios.map((x) => x.toFixed(2)).join(', ')}]  rates: ${results[variant].map((x) => x.toFixed(0)).join(', ')}`);
  }
  void base;
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await pool.end();
  await admin.query(`drop database if exists ${database} with (force)`);
  await admin.end();
  await stopServer();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
