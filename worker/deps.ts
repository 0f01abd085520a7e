// What tasks need besides the database: configuration, payment gateways and the mailer. Built once
// per worker from the configuration; tests build their own (pointed at fakes) and call the tasks.
import type pg from 'pg';
import type { Config } from '../lib/config.ts';
import { inTransaction as runInTransaction } from '../lib/db.ts';
import { makeMailer, type Mailer } from '../lib/mail/mailer.ts';
import { makeGateways, type PaymentGateways } from '../lib/payments/index.ts';

export interface WorkerDeps {
  config: Config;
  gateways: PaymentGateways;
  mailer: Mailer;
}

export function makeDeps(config: Config): WorkerDeps {
  return { config, gateways: makeGateways(config), mailer: makeMailer(config) };
}

/** A connection for the length of fn (graphile-worker's helpers.withPgClient, or a pool in tests). */
export type WithClient = <T>(fn: (client: pg.PoolClient) => Promise<T>) => Promise<T>;

export function withClientOf(pool: pg.Pool): WithClient {
  return async (fn) => {
    const client = await pool.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  };
}

/** Runs fn in a transaction on one connection. */
export function inTransaction<T>(withClient: WithClient, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withClient((client) => runInTransaction(client, () => fn(client)));
}
