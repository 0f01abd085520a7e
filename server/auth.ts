// Who is calling: verifies the bearer token and turns it into database claims (role + user id) so that
// row-level security decides what the request may see and do, for REST and GraphQL alike.
import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { devLoginEnabled, type Config } from '../lib/config.ts';
import { VISITOR_ROLE, type Claims } from '../lib/db.ts';
import { ApiError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    claims: Claims;
  }
}

interface TokenPayload {
  iss: string;
  sub: string;
  email?: string;
  name?: string;
}

export const ANONYMOUS: Claims = { role: VISITOR_ROLE, userId: null };

/** Issuer name of tokens signed by the development issuer. */
export function devIssuer(config: Config): string {
  return `${config.publicUrl}/dev`;
}

// Users are looked up (and created on first sight) once per identity and profile, not per request.
const USER_CACHE_LIMIT = 10_000;

export async function registerAuth(app: FastifyInstance, config: Config, pool: pg.Pool): Promise<void> {
  if (!devLoginEnabled(config)) {
    throw new Error('No identity provider is configured: set OIDC_ISSUER (the development issuer is off in production).');
  }
  await app.register(fastifyJwt, {
    secret: config.devJwtSecret,
    sign: { algorithm: 'HS256', iss: devIssuer(config), expiresIn: '12h' },
    verify: { algorithms: ['HS256'], allowedIss: devIssuer(config) },
  });

  const users = new Map<string, string>();
  async function userIdFor(payload: TokenPayload): Promise<string> {
    const key = JSON.stringify([payload.iss, payload.sub, payload.email ?? '', payload.name ?? '']);
    const cached = users.get(key);
    if (cached) return cached;
    const { rows } = await pool.query<{ id: string }>('select app_private.upsert_user($1, $2, $3, $4) as id', [
      payload.iss, payload.sub, payload.email ?? null, payload.name ?? null,
    ]);
    if (users.size >= USER_CACHE_LIMIT) users.clear();
    users.set(key, rows[0].id);
    return rows[0].id;
  }

  app.decorateRequest('claims', null as unknown as Claims);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    request.claims = ANONYMOUS;
    const header = request.headers.authorization;
    // Routes for machines (door scanners) check their own bearer key instead of a user's token.
    if (!header || (request.routeOptions.config as { machineAuth?: boolean }).machineAuth) return;
    if (!/^Bearer\s+\S+$/i.test(header)) {
      throw new ApiError(401, 'INVALID_TOKEN', 'The Authorization header must be "Bearer <token>".');
    }
    let payload: TokenPayload;
    try {
      payload = await request.jwtVerify<TokenPayload>();
    } catch {
      throw new ApiError(401, 'INVALID_TOKEN', 'The token is not valid (bad signature, wrong issuer, or expired).');
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      throw new ApiError(401, 'INVALID_TOKEN', 'The token names no subject.');
    }
    request.claims = { role: VISITOR_ROLE, userId: await userIdFor(payload) };
  });
}

export function requireUser(request: FastifyRequest): string {
  if (!request.claims.userId) throw new ApiError(401, 'AUTH_REQUIRED', 'Sign in first: send Authorization: Bearer <token>.');
  return request.claims.userId;
}
