// npm start — the whole system in one process: PostgreSQL (DATABASE_URL, or the embedded one under
// .data/pg), migrations, the demo catalogue on first start, the worker and the HTTP server.
import { loadConfig } from '../lib/config.ts';
import { resolveDatabase } from '../lib/database.ts';
import { migrateDatabase } from '../lib/migrate.ts';
import { seedDemoCatalogue } from '../lib/seed.ts';
import { buildApp } from '../server/app.ts';
import { startWorker } from '../worker/index.ts';

const started = Date.now();
const config = loadConfig();
const database = await resolveDatabase(config);
console.log(database.embedded
  ? `PostgreSQL: embedded, data in ${config.embeddedPgDir} (port ${config.embeddedPgPort})`
  : `PostgreSQL: ${new URL(database.ownerUrl).host} (DATABASE_URL)`);

await migrateDatabase(database.ownerUrl, config.authenticatorPassword, { quiet: true });
const seeded = await seedDemoCatalogue(database.ownerUrl);
if (seeded.imported) console.log('Loaded the demo catalogue (first start).');

const worker = await startWorker(database.ownerUrl, { quiet: true });
const app = await buildApp(config, database.ownerUrl);
await app.listen({ host: config.host, port: config.port }).catch(async (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EADDRINUSE') throw err;
  console.error(`Port ${config.port} is taken (another Boxoffice?). Start on another one: PORT=${config.port + 1} npm start`);
  await worker.stop().catch(() => {});
  await database.stop().catch(() => {});
  process.exit(1);
});

console.log(`
Boxoffice is up (${((Date.now() - started) / 1000).toFixed(1)} s)
  REST API   ${config.publicUrl}/events
  GraphQL    ${config.publicUrl}/graphql
  GraphiQL   ${config.publicUrl}/graphiql
  API docs   ${config.publicUrl}/docs
  Health     ${config.publicUrl}/healthz
Ctrl-C stops everything.`);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping`);
  await app.close().catch((e) => console.error(e));
  await worker.stop().catch((e) => console.error(e));
  await database.stop().catch((e) => console.error(e));
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
