// Brings a database to the current schema: cluster roles, graphile-migrate's committed migrations,
// db/functions (re-applied every time), and graphile-worker's own schema. No demo data.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { migrate, Logger as MigrateLogger } from 'graphile-migrate';
import { runMigrations, Logger as WorkerLogger } from 'graphile-worker';
import { projectRoot } from './config.ts';

// Only warnings and errors, for tests and scripts that want a quiet console.
const quietLog = () => (level: string, message: string) => {
  if (level === 'error' || level === 'warning') console.error(message);
};

export async function ensureRoles(ownerUrl: string, authenticatorPassword: string): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    // Two migrating processes on one server must not race on creating the same role.
    await client.query('select pg_advisory_lock(hashtext($1))', ['boxoffice roles']);
    await client.query(`select set_config('boxoffice.authenticator_password', $1, false)`, [authenticatorPassword]);
    await client.query(fs.readFileSync(path.join(projectRoot, 'db/setup/roles.sql'), 'utf8'));
  } finally {
    await client.end();
  }
}

export async function migrateDatabase(ownerUrl: string, authenticatorPassword: string, opts: { quiet?: boolean } = {}): Promise<void> {
  await ensureRoles(ownerUrl, authenticatorPassword);
  const gmrc = JSON.parse(fs.readFileSync(path.join(projectRoot, '.gmrc'), 'utf8'));
  const settings = {
    ...gmrc,
    migrationsFolder: path.join(projectRoot, 'db/migrations'),
    connectionString: ownerUrl,
    ...(opts.quiet ? { logger: new MigrateLogger(quietLog) } : {}),
  };
  // forceActions: db/functions are applied even when no migration was pending.
  await migrate(settings, false, true);
  await runMigrations({ connectionString: ownerUrl, ...(opts.quiet ? { logger: new WorkerLogger(quietLog) } : {}) });
}
