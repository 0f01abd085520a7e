// What every route plugin gets: configuration, the authenticator pool, and the one way to run SQL as
// the caller (role + claims in a transaction, so row-level security decides).
import type { FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { Config } from '../lib/config.ts';
import { pgSettingsFor, withSettings } from '../lib/db.ts';
import { makeGateways, type PaymentGateways } from '../lib/payments/index.ts';

export interface ServerContext {
  config: Config;
  pool: pg.Pool;
  gateways: PaymentGateways;
  asCaller: <T>(request: FastifyRequest, fn: (client: pg.PoolClient) => Promise<T>) => Promise<T>;
}

export function makeContext(config: Config, pool: pg.Pool): ServerContext {
  return {
    config,
    pool,
    gateways: makeGateways(config),
    asCaller: (request, fn) => withSettings(pool, pgSettingsFor(request.claims, config.paymentProvider), fn),
  };
}
