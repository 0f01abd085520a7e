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
  /** OpenID Connect issuer whose identity tokens are accepted (its JWKS is discovered); null: dev issuer. */
  oidcIssuer: string | null;
  /** The audience (client id) those tokens must name. Required with oidcIssuer. */
  oidcAudience: string | null;
  /** How long a verified identity's user id and admin flag are cached (0: looked up on every request). */
  authCacheSeconds: number;
  /** Requests per rate-limit window: per client IP, per signed-in user, and for POST /bookings per user (or IP). */
  rateLimit: { windowSeconds: number; perIp: number; perUser: number; bookingsPerUser: number };
  /** Allowed CORS origins; empty: no cross-origin access. ['*'] allows any origin. */
  corsOrigins: string[];
  /** GraphQL: introspection and GraphiQL (default: on outside production), and limits on incoming documents. */
  graphqlIntrospection: boolean;
  graphqlMaxDepth: number;
  graphqlMaxLength: number;
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

function intFrom(name: string, value: string | undefined, fallback: number, max = 65535): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`${name} must be a whole number from 0 to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

function boolFrom(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new Error(`${name} must be true or false, got ${JSON.stringify(value)}`);
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
  if (env.OIDC_ISSUER && !env.OIDC_AUDIENCE) throw new Error('OIDC_AUDIENCE is required with OIDC_ISSUER');
  const million = 1_000_000;
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
    oidcIssuer: env.OIDC_ISSUER ? env.OIDC_ISSUER.replace(/\/$/, '') : null,
    oidcAudience: env.OIDC_AUDIENCE || null,
    authCacheSeconds: intFrom('AUTH_CACHE_SECONDS', env.AUTH_CACHE_SECONDS, 10, 3600),
    // Generous defaults: a venue's whole crowd can sit behind one NAT address at an on-sale.
    rateLimit: {
      windowSeconds: intFrom('RATE_LIMIT_WINDOW_SECONDS', env.RATE_LIMIT_WINDOW_SECONDS, 60, 86400) || 60,
      perIp: intFrom('RATE_LIMIT_PER_IP', env.RATE_LIMIT_PER_IP, 6000, million),
      perUser: intFrom('RATE_LIMIT_PER_USER', env.RATE_LIMIT_PER_USER, 1200, million),
      bookingsPerUser: intFrom('RATE_LIMIT_BOOKINGS_PER_USER', env.RATE_LIMIT_BOOKINGS_PER_USER, 120, million),
    },
    corsOrigins: (env.CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
    graphqlIntrospection: boolFrom('GRAPHQL_INTROSPECTION', env.GRAPHQL_INTROSPECTION, !production),
    graphqlMaxDepth: intFrom('GRAPHQL_MAX_DEPTH', env.GRAPHQL_MAX_DEPTH, 12, 1000),
    graphqlMaxLength: intFrom('GRAPHQL_MAX_LENGTH', env.GRAPHQL_MAX_LENGTH, 20000, million),
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
