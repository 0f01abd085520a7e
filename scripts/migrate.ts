// npm run db:migrate — applies migrations and functions to DATABASE_URL (no demo data). For DBAs.
import { loadConfig } from '../lib/config.ts';
import { migrateDatabase } from '../lib/migrate.ts';

const config = loadConfig();
if (!config.databaseUrl) {
  console.error('db:migrate needs DATABASE_URL (the owner connection of the database to migrate).');
  process.exit(2);
}
await migrateDatabase(config.databaseUrl, config.authenticatorPassword);
console.log('Database is up to date.');
