// Where the owner connection comes from: DATABASE_URL, or else the embedded PostgreSQL under .data/.
// `npm start` and `npm run import` share this, so an import finds the database `npm start` uses.
import net from 'node:net';
import pg from 'pg';
import type { Config } from './config.ts';
import { embeddedUrl, startEmbeddedPostgres } from './embedded-postgres.ts';

export const EMBEDDED_DATABASE = 'boxoffice';

export interface ResolvedDatabase {
  ownerUrl: string;
  embedded: boolean;
  /** Stops the embedded server if this process started it. */
  stop: () => Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) await client.query(`create database ${database}`);
  } finally {
    await client.end();
  }
}

export async function resolveDatabase(config: Config, log: (line: string) => void = () => {}): Promise<ResolvedDatabase> {
  if (config.databaseUrl) {
    return { ownerUrl: config.databaseUrl, embedded: false, stop: async () => {} };
  }
  const running = await portOpen(config.embeddedPgPort);
  const server = running
    ? null
    : await startEmbeddedPostgres({ dir: config.embeddedPgDir, port: config.embeddedPgPort, log });
  const url = (db: string) => embeddedUrl(config.embeddedPgPort, db);
  await ensureDatabase(url('postgres'), EMBEDDED_DATABASE);
  return {
    ownerUrl: url(EMBEDDED_DATABASE),
    embedded: true,
    stop: async () => { if (server) await server.stop(); },
  };
}
