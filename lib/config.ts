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
  stripe: {
    secretKey: string | null;
    webhookSecret: string | null;
    /** Where the SDK sends requests: Stripe itself unless a self-hosted mock (or a test fake) is named. */
    host: string | null;
    port: number | null;
    protocol: 'http' | 'https' | null;
    /** Per-request timeout; a provider that does not answer in time counts as down. */
    timeoutMs: number;
  };
  postmark: {
    /** Null: the dev mailer stores mail in the database (listed at /dev/mail). */
    serverToken: string | null;
    /** host[:port] of the Postmark API, for a mock; null is Postmark itself. */
    apiHost: string | null;
    useHttps: boolean;
  };
  mailFrom: string;
  /** HMAC key of e-ticket codes (check-in verifies them offline). */
  ticketSigningSecret: string;
  /** Bearer key of door scanners for POST /checkin; null: check-in is switched off. */
  checkinApiKey: string | null;
}

function intFrom(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a whole number from 0 to 65535, got ${JSON.stringify(value)}`);
  return n;
}

function requiredInProduction(production: boolean, name: string, value: string | undefined, devDefault: string): string {
  if (value) return value;
  if (production) throw new Error(`${name} is required in production`);
  return devDefault;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnv = env.NODE_ENV || 'development';
  const port = intFrom('PORT', env.PORT, 3000);
  const host = env.HOST || '127.0.0.1';
  const production = nodeEnv === 'production';
  if (production && !env.AUTHENTICATOR_PASSWORD) throw new Error('AUTHENTICATOR_PASSWORD is required in production');
  // Stripe without a webhook secret would accept forged events or none at all.
  if (env.STRIPE_SECRET_KEY && !env.STRIPE_WEBHOOK_SECRET) throw new Error('STRIPE_WEBHOOK_SECRET is required with STRIPE_SECRET_KEY');
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
    stripe: {
      secretKey: env.STRIPE_SECRET_KEY || null,
      webhookSecret: env.STRIPE_WEBHOOK_SECRET || null,
      host: env.STRIPE_API_HOST || null,
      port: env.STRIPE_API_PORT ? intFrom('STRIPE_API_PORT', env.STRIPE_API_PORT, 443) : null,
      protocol: env.STRIPE_API_PROTOCOL === 'http' || env.STRIPE_API_PROTOCOL === 'https' ? env.STRIPE_API_PROTOCOL : null,
      timeoutMs: intFrom('STRIPE_TIMEOUT_MS', env.STRIPE_TIMEOUT_MS, 20000),
    },
    postmark: {
      serverToken: env.POSTMARK_SERVER_TOKEN || null,
      apiHost: env.POSTMARK_API_HOST || null,
      useHttps: env.POSTMARK_API_PROTOCOL !== 'http',
    },
    mailFrom: env.MAIL_FROM || 'Boxoffice <tickets@boxoffice.invalid>',
    ticketSigningSecret: requiredInProduction(production, 'TICKET_SIGNING_SECRET', env.TICKET_SIGNING_SECRET,
      'boxoffice-development-ticket-secret-do-not-use-in-production'),
    checkinApiKey: env.CHECKIN_API_KEY || (production ? null : 'boxoffice-dev-checkin-key'),
  };
}

/** The dev issuer exists only without a real identity provider and outside production. */
export function devLoginEnabled(config: Config): boolean {
  return config.oidcIssuer === null && config.nodeEnv !== 'production';
}
