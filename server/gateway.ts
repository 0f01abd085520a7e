// Gateway duties in front of every route: security headers, CORS, and rate limits per client IP, per
// signed-in user, and a stricter one for holding tickets (POST /bookings). A limited request gets 429
// RATE_LIMITED with Retry-After. Limits come from lib/config.ts (README lists the variables).
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../lib/config.ts';
import { ApiError } from './errors.ts';

type Limit = { isAllowed: true } | { isAllowed: false; max: number; remaining: number; ttl: number; isExceeded: boolean };

/** 429 with Retry-After when over the limit; otherwise remembers the tightest allowance for the headers. */
function enforce(reply: FastifyReply, scope: string, limit: Limit): void {
  if (limit.isAllowed) return;
  if (limit.isExceeded) {
    const retryAfter = Math.max(1, Math.ceil(limit.ttl / 1000));
    reply.header('retry-after', String(retryAfter));
    reply.header('x-ratelimit-limit', String(limit.max));
    reply.header('x-ratelimit-remaining', '0');
    reply.header('x-ratelimit-reset', String(retryAfter));
    throw new ApiError(429, 'RATE_LIMITED', 'Too many requests; try again later.', { scope, retryAfterSeconds: retryAfter });
  }
  const shown = Number(reply.getHeader('x-ratelimit-remaining') ?? Infinity);
  if (limit.remaining < shown) {
    reply.header('x-ratelimit-limit', String(limit.max));
    reply.header('x-ratelimit-remaining', String(limit.remaining));
    reply.header('x-ratelimit-reset', String(Math.ceil(limit.ttl / 1000)));
  }
}

/**
 * Headers, CORS and the per-IP limit: registered before authentication, so that a flood of bad
 * tokens is limited too. registerUserLimits adds the limits that need the user, after it.
 */
export async function registerGateway(app: FastifyInstance, config: Config): Promise<void> {
  // The API answers JSON, so a content security policy has nothing to protect here, and it would
  // break the development GraphiQL and checkout pages; every other helmet header applies.
  await app.register(fastifyHelmet, { contentSecurityPolicy: false, crossOriginEmbedderPolicy: false });
  await app.register(fastifyCors, {
    origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins.length ? config.corsOrigins : false,
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key'],
    exposedHeaders: ['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
    maxAge: 600,
  });
  const timeWindow = config.rateLimit.windowSeconds * 1000;
  await app.register(fastifyRateLimit, { global: false, timeWindow });
  const perIp = app.createRateLimit({ max: config.rateLimit.perIp, timeWindow, keyGenerator: (r) => `ip:${r.ip}` });
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    enforce(reply, 'ip', await perIp(request));
  });
}

/** Per signed-in user, and for POST /bookings per user (or IP when anonymous). After authentication. */
export function registerUserLimits(app: FastifyInstance, config: Config): void {
  const timeWindow = config.rateLimit.windowSeconds * 1000;
  const perUser = app.createRateLimit({ max: config.rateLimit.perUser, timeWindow, keyGenerator: (r) => `user:${r.claims.userId}` });
  const bookings = app.createRateLimit({
    max: config.rateLimit.bookingsPerUser, timeWindow,
    keyGenerator: (r) => (r.claims.userId ? `bookings:user:${r.claims.userId}` : `bookings:ip:${r.ip}`),
  });
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.claims.userId) enforce(reply, 'user', await perUser(request));
    if (request.method === 'POST' && request.routeOptions.url === '/bookings') enforce(reply, 'bookings', await bookings(request));
  });
}
