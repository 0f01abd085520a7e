// Connections and the one way to run SQL as a user: set the role and claims inside a transaction so
// that row-level security decides, exactly as it does for GraphQL.
import pg from 'pg';

export const VISITOR_ROLE = 'boxoffice_visitor';
export const ADMIN_ROLE = 'boxoffice_admin';
export const AUTHENTICATOR_ROLE = 'boxoffice_authenticator';

// bigint counts come back as strings by default; ours fit in a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export function createPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  // A client that loses its server (e.g. PostgreSQL stopping first on Ctrl-C) must not crash the
  // process; the query that was running still fails with the error.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/** The API server's connection string: the same server and database, logged in as the authenticator. */
export function authenticatorUrl(ownerUrl: string, password: string): string {
  const url = new URL(ownerUrl);
  url.username = AUTHENTICATOR_ROLE;
  url.password = password;
  return url.toString();
}

export function withDatabase(connectionString: string, database: string): string {
  const url = new URL(connectionString);
  url.pathname = `/${database}`;
  return url.toString();
}

export interface Claims {
  role: string;
  userId: string | null;
}

/** Settings PostgreSQL sees for a request; shared by REST (withClaims) and GraphQL (pgSettings). */
export function pgSettingsFor(claims: Claims, paymentProvider: string): Record<string, string> {
  return {
    role: claims.role,
    'jwt.claims.user_id': claims.userId ?? '',
    'boxoffice.payment_provider': paymentProvider,
  };
}

/** Runs fn inside begin/commit on a client that is already checked out; rolls back when fn throws. */
export async function inTransaction<T>(client: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  await client.query('begin');
  try {
    const result = await fn();
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  }
}

export async function withSettings<T>(pool: pg.Pool, settings: Record<string, string>, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await inTransaction(client, async () => {
      await client.query('select set_config(k, v, true) from json_each_text($1::json) as s(k, v)', [JSON.stringify(settings)]);
      return fn(client);
    });
  } finally {
    client.release();
  }
}
