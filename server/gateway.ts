// Gateway duties in front of every route: security headers, CORS, and rate limits per client IP, per
// signed-in user, and a stricter one for holding tickets (POST /bookings). A limited request gets 429
// RATE_LIMITED with Retry-After. Limits come from lib/config.ts (README lists the variables).
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../lib/config.ts';
import { ApiError } from './errors.ts';

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

  const { windowSeconds, perIp, perUser, bookingsPerUser } = config.rateLimit;
  const timeWindow = windowSeconds * 1000;
  await app.register(fastifyRateLimit, { global: false, timeWindow });
  const userOrIp = (request: FastifyRequest) => request.claims?.userId ? `user:${request.claims.userId}` : `ip:${request.ip}`;
  const limiters = [
    { scope: 'ip', applies: () => true, check: app.createRateLimit({ max: perIp, timeWindow, keyGenerator: (r) => `ip:${r.ip}` }) },
    { scope: 'user', applies: (r: FastifyRequest) => Boolean(r.claims?.userId),
      check: app.createRateLimit({ max: perUser, timeWindow, keyGenerator: (r) => `user:${r.claims.userId}` }) },
    { scope: 'bookings', applies: (r: FastifyRequest) => r.method === 'POST' && r.routeOptions.url === '/bookings',
      check: app.createRateLimit({ max: bookingsPerUser, timeWindow, keyGenerator: (r) => `bookings:${userOrIp(r)}` }) },
  ];

  // After authentication (an onRequest hook registered before this one), so the user is known.
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    let tightest: { max: number; remaining: number; ttl: number } | null = null;
    for (const limiter of limiters) {
      if (!limiter.applies(request)) continue;
      const limit = await limiter.check(request);
      if (limit.isAllowed) continue;
      if (limit.isExceeded) {
        const retryAfter = Math.max(1, Math.ceil(limit.ttl / 1000));
        reply.header('retry-after', String(retryAfter));
        reply.header('x-ratelimit-limit', String(limit.max));
        reply.header('x-ratelimit-remaining', '0');
        reply.header('x-ratelimit-reset', String(retryAfter));
        throw new ApiError(429, 'RATE_LIMITED', 'Too many requests; try again later.', { scope: limiter.scope, retryAfterSeconds: retryAfter });
      }
      if (!tightest || limit.remaining < tightest.remaining) tightest = limit;
    }
    if (tightest) {
      reply.header('x-ratelimit-limit', String(tightest.max));
      reply.header('x-ratelimit-remaining', String(tightest.remaining));
      reply.header('x-ratelimit-reset', String(Math.ceil(tightest.ttl / 1000)));
    }
  });
}
