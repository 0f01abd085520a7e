// Operations: liveness, readiness (the database answers), and the API docs.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { projectRoot } from '../../lib/config.ts';
import type { ServerContext } from '../context.ts';

export async function opsRoutes(app: FastifyInstance, ctx: ServerContext) {
  app.get('/healthz', async () => ({ ok: true }));

  app.get('/readyz', async (_request, reply) => {
    try {
      await ctx.pool.query('select 1');
      return { ok: true };
    } catch {
      return reply.status(503).send({ error: { code: 'DATABASE_UNAVAILABLE', message: 'The database does not answer.', details: {} } });
    }
  });

  // The API reference and the error codes, as written in docs/ (plain text; no build step).
  const docs = ['api.md', 'error_codes.md', 'security.md'].map((f) => fs.readFileSync(path.join(projectRoot, 'docs', f), 'utf8')).join('\n\n');
  app.get('/docs', async (_request, reply) => reply.type('text/markdown; charset=utf-8').send(docs));
}
