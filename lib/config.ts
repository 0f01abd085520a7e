// Configuration from the environment, read in one place for the server, the worker and the scripts.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Grafast reads this when PostGraphile is first imported; development mode adds checks and clearer errors.
process.env.GRAPHILE_ENV ??= process.env.NODE_ENV === 'production' ? 'production' : 'development';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Config {
  nodeEnv: string;
  host: string;
  port: number;
  publicUrl: string;
  /** Owner connection (migrations, worker). Null: start the embedded PostgreSQL. */
  databaseUrl: string | null;
  /** Password of boxoffice_authenticator, the role the API server logs in as. */
  authenticatorPassword: string;
  embeddedPgDir: string;
  embeddedPgPort: number;
  /** Signing secret of the development token issuer (POST /dev/login). */
  devJwtSecret: string;
  oidcIssuer: string | null;
  paymentProvider: 'dev' | 'stripe';
  logLevel: string;
  /** Connections of the API server's pool (REST and GraphQL share it). */
  dbPoolSize: number;
}

function intFrom(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a whole number from 0 to 65535, got ${JSON.stringify(value)}`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnv = env.NODE_ENV || 'development';
  const port = intFrom('PORT', env.PORT, 3000);
  const host = env.HOST || '127.0.0.1';
  const production = nodeEnv === 'production';
  if (production && !env.AUTHENTICATOR_PASSWORD) throw new Error('AUTHENTICATOR_PASSWORD is required in production');
  return {
    nodeEnv,
    host,
    port,
    publicUrl: (env.PUBLIC_URL || `http://localhost:${port}`).replace(/\/$/, ''),
    databaseUrl: env.DATABASE_URL || null,
    authenticatorPassword: env.AUTHENTICATOR_PASSWORD || 'boxoffice-dev',
    embeddedPgDir: path.resolve(projectRoot, env.EMBEDDED_PG_DIR || '.data/pg'),
    embeddedPgPort: intFrom('EMBEDDED_PG_PORT', env.EMBEDDED_PG_PORT, 54320),
    devJwtSecret: env.DEV_JWT_SECRET || 'boxoffice-development-only-secret-do-not-use-in-production',
    oidcIssuer: env.OIDC_ISSUER || null,
    paymentProvider: env.STRIPE_SECRET_KEY ? 'stripe' : 'dev',
    // Request lines belong in production logs; a developer's terminal shows warnings and errors only.
    logLevel: env.LOG_LEVEL || (production ? 'info' : 'warn'),
    dbPoolSize: intFrom('DB_POOL_SIZE', env.DB_POOL_SIZE, 20),
  };
}

/** The dev issuer exists only without a real identity provider and outside production. */
export function devLoginEnabled(config: Config): boolean {
  return config.oidcIssuer === null && config.nodeEnv !== 'production';
}
