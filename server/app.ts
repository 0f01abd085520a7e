// The HTTP server: Fastify with auth, the REST routes, GraphQL, and one error format.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from '../lib/config.ts';
import { devLoginEnabled } from '../lib/config.ts';
import { authenticatorUrl, createPool } from '../lib/db.ts';
import { registerAuth } from './auth.ts';
import { registerGateway, registerUserLimits } from './gateway.ts';
import { makeContext } from './context.ts';
import { errorHandler, notFoundHandler } from './errors.ts';
import { mountGraphql } from './postgraphile.ts';
import { registerValidation } from './validation.ts';
import { bookingRoutes } from './routes/bookings.ts';
import { checkinRoutes } from './routes/checkin.ts';
import { devRoutes } from './routes/dev.ts';
import { eventRoutes } from './routes/events.ts';
import { meRoutes } from './routes/me.ts';
import { opsRoutes } from './routes/ops.ts';
import { webhookRoutes } from './routes/webhooks.ts';

export async function buildApp(config: Config, ownerUrl: string): Promise<FastifyInstance> {
  const pool = createPool(authenticatorUrl(ownerUrl, config.authenticatorPassword), config.dbPoolSize);
  const app = Fastify({
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    bodyLimit: 64 * 1024,
  });
  registerValidation(app);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);

  const ctx = makeContext(config, pool);
  await registerGateway(app, config);
  await registerAuth(app, config, pool);
  registerUserLimits(app, config);
  // Outside the JSON scope below: the webhook needs the raw bytes that the provider signed.
  await webhookRoutes(app, ctx);
  await app.register(async (scope) => {
    // REST bodies are JSON only; a text body is refused (415) rather than parsed as a string.
    scope.removeContentTypeParser('text/plain');
    // Many clients send content-type: application/json on every request, body or not: an empty body
    // is no body (then schema validation decides), not malformed JSON.
    const parseJson = scope.getDefaultJsonParser('error', 'error');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      if (body === '') return done(null, undefined);
      return parseJson(request, body as string, done);
    });
    await opsRoutes(scope, ctx);
    await eventRoutes(scope, ctx);
    await bookingRoutes(scope, ctx);
    await meRoutes(scope, ctx);
    await checkinRoutes(scope, ctx);
    if (devLoginEnabled(config)) {
      await scope.register(async (dev) => {
        // The dev checkout page's Pay button is a plain HTML form: browsers post it as an (empty)
        // urlencoded body, which carries nothing these routes read.
        dev.addContentTypeParser('application/x-www-form-urlencoded', (_request, _payload, done) => done(null, undefined));
        await devRoutes(dev, ctx);
      });
    }
  });
  const graphql = await mountGraphql(app, config, pool);

  app.addHook('onClose', async () => {
    await graphql.release();
    await pool.end();
  });
  return app;
}
