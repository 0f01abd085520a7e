// The signed-in user: their profile (GET/PATCH /me) and their bookings, newest first (GET /me/bookings).
// Row-level security decides here as everywhere: the queries run as the caller.
import type { FastifyInstance } from 'fastify';
import { requireUser } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { BOOKING_JSON, decodeCursor, encodeCursor, isoUtc } from '../representations.ts';

/** A users row aliased u, as GET /me shows it. */
const USER_JSON = `json_build_object(
  'id', u.id,
  'email', u.email,
  'name', u.name,
  'displayName', coalesce(u.display_name, u.name),
  'issuer', u.issuer,
  'isAdmin', app_hidden.current_user_is_admin(),
  'createdAt', ${isoUtc('u.created_at')},
  'updatedAt', ${isoUtc('u.updated_at')}
)`;

export async function meRoutes(app: FastifyInstance, ctx: ServerContext) {
  app.get('/me', async (request) => {
    const userId = requireUser(request);
    return ctx.asCaller(request, async (client) =>
      (await client.query(`select ${USER_JSON} as me from app_public.users u where u.id = $1`, [userId])).rows[0].me);
  });

  // Email and name follow the identity provider; the user chooses only how they are shown.
  app.patch<{ Body: { displayName: string | null } }>('/me', {
    schema: {
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['displayName'],
        properties: { displayName: { type: ['string', 'null'], minLength: 1, maxLength: 100, pattern: '\\S' } },
      },
    },
  }, async (request) => {
    const userId = requireUser(request);
    return ctx.asCaller(request, async (client) => (await client.query(
      `update app_public.users u set display_name = $2 where u.id = $1 returning ${USER_JSON} as me`,
      [userId, request.body.displayName?.trim() ?? null])).rows[0].me);
  });

  app.get<{ Querystring: { limit: number; cursor?: string } }>('/me/bookings', {
    schema: {
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
          cursor: { type: 'string', maxLength: 500 },
        },
      },
    },
  }, async (request) => {
    const userId = requireUser(request);
    const { limit } = request.query;
    // The cursor names the last booking shown; its (created_at, id) is looked up, so no timestamp
    // loses its microseconds on the way through JSON.
    const cursor = decodeCursor(request.query.cursor, ['uuid']);
    const rows = await ctx.asCaller(request, async (client) => (await client.query<{ id: string; booking: unknown }>(
      `select b.id, ${BOOKING_JSON} as booking from app_public.bookings b
        where b.user_id = $1
          and ($2::uuid is null or (b.created_at, b.id) < (select x.created_at, x.id from app_public.bookings x where x.id = $2::uuid))
        order by b.created_at desc, b.id desc limit $3`, [userId, cursor?.[0] ?? null, limit + 1])).rows);
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => r.booking),
      nextCursor: rows.length > limit ? encodeCursor([page[page.length - 1].id]) : null,
    };
  });
}
