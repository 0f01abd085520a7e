// Who is calling: verifies the bearer token and turns it into database claims (role + user id) so that
// row-level security decides what the request may see and do, for REST and GraphQL alike. Tokens come
// from the configured OpenID Connect issuer (RS256/ES256, keys from its JWKS), or, without one and
// outside production, from the development issuer (HS256, POST /dev/login). The admin role comes from
// the database (app_private.admins), never from the token.
import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { devLoginEnabled, type Config } from '../lib/config.ts';
import { ADMIN_ROLE, VISITOR_ROLE, type Claims } from '../lib/db.ts';
import { ApiError } from './errors.ts';
import { jwksCache, OIDC_ALGORITHMS } from './jwks.ts';

declare module 'fastify' {
  interface FastifyRequest {
    claims: Claims;
  }
  interface FastifyContextConfig {
    /** The route checks its own machine key (door scanners) instead of a user's token. */
    machineAuth?: boolean;
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

// Users are looked up (and created on first sight) once per identity and profile for a short while
// (config.authCacheSeconds), not per request; an admin grant or revoke reaches the role within that
// time, and admin writes re-check app_private.admins themselves, so a revoke stops them at once.
const USER_CACHE_LIMIT = 10_000;

/** Why a token was refused: the stable `details.reason` of INVALID_TOKEN (docs/error_codes.md). */
type TokenProblem = 'malformed' | 'algorithm_not_allowed' | 'unknown_key' | 'bad_signature' | 'expired'
  | 'wrong_issuer' | 'wrong_audience' | 'no_subject' | 'not_bearer' | 'issuer_unavailable';

const MESSAGES: Record<TokenProblem, string> = {
  malformed: 'The token is not a well-formed JWT.',
  algorithm_not_allowed: 'The token is signed with an algorithm this server does not accept.',
  unknown_key: 'The token is signed with a key the identity provider does not publish.',
  bad_signature: 'The token\'s signature does not match.',
  expired: 'The token has expired.',
  wrong_issuer: 'The token is from another issuer.',
  wrong_audience: 'The token is meant for another audience.',
  no_subject: 'The token names no subject.',
  not_bearer: 'The Authorization header must be "Bearer <token>".',
  issuer_unavailable: 'The identity provider\'s keys could not be fetched; try again.',
};

function refused(reason: TokenProblem): ApiError {
  return new ApiError(401, 'INVALID_TOKEN', MESSAGES[reason], { reason });
}

/** What @fastify/jwt's (fast-jwt's) failure means for the caller. */
function problemOf(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as { code?: string; message?: string };
  if (e.code === 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED') return refused('expired');
  const message = e.message ?? '';
  if (/\biss\b/.test(message)) return refused('wrong_issuer');
  if (/\baud\b/.test(message)) return refused('wrong_audience');
  if (/signature/i.test(message) || e.code === 'FST_JWT_AUTHORIZATION_TOKEN_UNSIGNED') return refused('bad_signature');
  if (/algorithm/i.test(message)) return refused('algorithm_not_allowed');
  return refused('malformed');
}

function decodeHeader(token: string): { alg?: unknown; kid?: unknown } {
  const parts = token.split('.');
  if (parts.length !== 3) throw refused('malformed');
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    if (header && typeof header === 'object') return header;
  } catch {
    // below
  }
  throw refused('malformed');
}

export async function registerAuth(app: FastifyInstance, config: Config, pool: pg.Pool): Promise<void> {
  const messages = { authorizationTokenInvalid: (err: Error) => err.message };
  let allowedAlgorithms: readonly string[];
  if (config.oidcIssuer) {
    const jwks = jwksCache(config.oidcIssuer);
    allowedAlgorithms = OIDC_ALGORITHMS;
    await app.register(fastifyJwt, {
      // The key for this token, by the kid and alg of its header (already checked in onRequest).
      secret: async (_request: FastifyRequest, token: { header: { kid?: string; alg: string } }) => {
        let pem: string | null;
        try {
          pem = await jwks.keyFor(token.header.kid, token.header.alg);
        } catch (err) {
          app.log.error({ err }, 'could not fetch the identity provider\'s keys');
          throw refused('issuer_unavailable');
        }
        if (!pem) throw refused('unknown_key');
        return pem;
      },
      decode: { complete: true },
      verify: { algorithms: [...OIDC_ALGORITHMS], allowedIss: config.oidcIssuer, allowedAud: config.oidcAudience! },
      messages,
    } as never);
  } else if (devLoginEnabled(config)) {
    allowedAlgorithms = ['HS256'];
    await app.register(fastifyJwt, {
      secret: config.devJwtSecret,
      sign: { algorithm: 'HS256', iss: devIssuer(config), expiresIn: '12h' },
      verify: { algorithms: ['HS256'], allowedIss: devIssuer(config) },
      messages,
    });
  } else {
    throw new Error('No identity provider is configured: set OIDC_ISSUER (the development issuer is off in production).');
  }

  const users = new Map<string, { userId: string; isAdmin: boolean; at: number }>();
  async function claimsFor(payload: TokenPayload): Promise<Claims> {
    const key = JSON.stringify([payload.iss, payload.sub, payload.email ?? '', payload.name ?? '']);
    let entry = users.get(key);
    if (!entry || Date.now() - entry.at >= config.authCacheSeconds * 1000) {
      const { rows } = await pool.query<{ user_id: string; is_admin: boolean }>(
        'select user_id, is_admin from app_private.sign_in($1, $2, $3, $4)',
        [payload.iss, payload.sub, typeof payload.email === 'string' ? payload.email : null, typeof payload.name === 'string' ? payload.name : null]);
      if (users.size >= USER_CACHE_LIMIT) users.clear();
      entry = { userId: rows[0].user_id, isAdmin: rows[0].is_admin, at: Date.now() };
      users.set(key, entry);
    }
    return { role: entry.isAdmin ? ADMIN_ROLE : VISITOR_ROLE, userId: entry.userId };
  }

  app.decorateRequest('claims', null as unknown as Claims);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    request.claims = ANONYMOUS;
    const header = request.headers.authorization;
    // Routes for machines (door scanners) check their own bearer key instead of a user's token.
    if (!header || request.routeOptions.config.machineAuth) return;
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw refused('not_bearer');
    // Decide on the algorithm before any key is looked up: alg none, or HS256 made with a public
    // key as the secret, never reach verification.
    const { alg } = decodeHeader(match[1]);
    if (typeof alg !== 'string' || !allowedAlgorithms.includes(alg)) throw refused('algorithm_not_allowed');
    let payload: TokenPayload;
    try {
      payload = await request.jwtVerify<TokenPayload>();
    } catch (err) {
      throw problemOf(err);
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw refused('no_subject');
    request.claims = await claimsFor(payload);
  });
}

export function requireUser(request: FastifyRequest): string {
  if (!request.claims.userId) throw new ApiError(401, 'AUTH_REQUIRED', 'Sign in first: send Authorization: Bearer <token>.');
  return request.claims.userId;
}
