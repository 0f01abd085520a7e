// Browse: list and search events, one event, its tickets. Read-only, as the caller (drafts stay hidden by RLS).
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { EVENT_JSON, TICKET_JSON, decodeCursor, encodeCursor } from '../representations.ts';

const uuidParam = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
} as const;

const limitProp = { type: 'integer', minimum: 1, maximum: 100, default: 20 } as const;

interface ListQuery {
  q?: string; city?: string; country?: string; category?: string; venue?: string; performer?: string;
  from?: string; to?: string; sort: 'date' | 'name'; limit: number; cursor?: string;
}

interface TicketsQuery {
  section?: string; priceTier?: string; status?: 'available' | 'held' | 'sold'; limit: number; cursor?: string;
}

export async function eventRoutes(app: FastifyInstance, ctx: ServerContext) {
  app.get<{ Querystring: ListQuery }>('/events', {
    schema: {
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          q: { type: 'string', maxLength: 200 },
          city: { type: 'string', maxLength: 200 },
          country: { type: 'string', pattern: '^[A-Za-z]{2}$' },
          category: { type: 'string', maxLength: 200 },
          venue: { type: 'string', format: 'uuid' },
          performer: { type: 'string', format: 'uuid' },
          from: { type: 'string', format: 'date-time' },
          to: { type: 'string', format: 'date-time' },
          sort: { type: 'string', enum: ['date', 'name'], default: 'date' },
          limit: limitProp,
          cursor: { type: 'string', maxLength: 500 },
        },
      },
    },
  }, async (request) => {
    const query = request.query;
    const params: unknown[] = [];
    const p = (value: unknown) => `$${params.push(value)}`;
    const where: string[] = [];
    // Past events drop out of the list unless the caller asks for an earlier window.
    where.push(`e.starts_at >= ${query.from ? `${p(query.from)}::timestamptz` : 'now()'}`);
    if (query.to) where.push(`e.starts_at < ${p(query.to)}::timestamptz`);
    if (query.city) where.push(`v.city ilike ${p(query.city)}`);
    if (query.country) where.push(`v.country = ${p(query.country.toUpperCase())}`);
    if (query.category) where.push(`e.category ilike ${p(query.category)}`);
    if (query.venue) where.push(`e.venue_id = ${p(query.venue)}`);
    if (query.performer) where.push(`exists (select 1 from app_public.event_performers ep where ep.event_id = e.id and ep.performer_id = ${p(query.performer)})`);
    if (query.q && query.q.trim()) {
      // Plain substring match for now; ranked full-text search replaces this (see docs/api.md).
      const like = p(`%${query.q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      where.push(`(e.title ilike ${like} or v.name ilike ${like} or v.city ilike ${like}
                   or exists (select 1 from app_public.event_performers ep join app_public.performers pf on pf.id = ep.performer_id
                               where ep.event_id = e.id and pf.name ilike ${like}))`);
    }
    const byName = query.sort === 'name';
    const sortKey = byName ? 'lower(e.title)' : 'e.starts_at';
    if (byName) {
      // A title can be long: the cursor names the last event, and its sort key is looked up.
      const cursor = decodeCursor(query.cursor, ['uuid']);
      if (cursor) where.push(`(lower(e.title), e.id) > (select lower(x.title), x.id from app_public.events x where x.id = ${p(cursor[0])}::uuid)`);
    } else {
      const cursor = decodeCursor(query.cursor, ['timestamp', 'uuid']);
      if (cursor) where.push(`(e.starts_at, e.id) > (${p(cursor[0])}::timestamptz, ${p(cursor[1])}::uuid)`);
    }
    const sql = `
      select ${EVENT_JSON} as event, to_char(e.starts_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as starts_key
        from app_public.events e join app_public.venues v on v.id = e.venue_id
       where ${where.join(' and ')}
       order by ${sortKey}, e.id
       limit ${p(query.limit + 1)}`;
    const rows = await ctx.asCaller(request, async (client) => (await client.query(sql, params)).rows);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => r.event),
      nextCursor: rows.length > query.limit && last
        ? encodeCursor(byName ? [last.event.id] : [last.starts_key, last.event.id]) : null,
    };
  });

  app.get<{ Params: { id: string } }>('/events/:id', { schema: { params: uuidParam } }, async (request) => {
    const rows = await ctx.asCaller(request, async (client) => (await client.query(
      `select ${EVENT_JSON} as event from app_public.events e join app_public.venues v on v.id = e.venue_id where e.id = $1`,
      [request.params.id])).rows);
    if (!rows.length) throw new ApiError(404, 'EVENT_NOT_FOUND', 'No such event.', { eventId: request.params.id });
    return rows[0].event;
  });

  app.get<{ Params: { id: string }; Querystring: TicketsQuery }>('/events/:id/tickets', {
    schema: {
      params: uuidParam,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          section: { type: 'string', maxLength: 100 },
          priceTier: { type: 'string', format: 'uuid' },
          status: { type: 'string', enum: ['available', 'held', 'sold'] },
          limit: { ...limitProp, maximum: 500, default: 100 },
          cursor: { type: 'string', maxLength: 500 },
        },
      },
    },
  }, async (request) => {
    const query = request.query;
    const params: unknown[] = [request.params.id];
    const p = (value: unknown) => `$${params.push(value)}`;
    const where = ['t.event_id = $1'];
    if (query.priceTier) where.push(`t.price_tier_id = ${p(query.priceTier)}`);
    if (query.section) where.push(`exists (select 1 from app_public.seats s where s.id = t.seat_id and s.section = ${p(query.section)})`);
    if (query.status) where.push(`app_hidden.ticket_state(t.event_id, t.id) = ${p(query.status)}`);
    const cursor = decodeCursor(query.cursor, ['position', 'uuid']);
    if (cursor) where.push(`(t.position, t.id) > (${p(cursor[0])}::int, ${p(cursor[1])}::uuid)`);
    const { exists, rows } = await ctx.asCaller(request, async (client) => {
      const event = await client.query('select 1 from app_public.events where id = $1', [request.params.id]);
      if (!event.rowCount) return { exists: false, rows: [] };
      const result = await client.query(
        `select ${TICKET_JSON} as ticket, t.position from app_public.tickets t
          where ${where.join(' and ')} order by t.position, t.id limit ${p(query.limit + 1)}`, params);
      return { exists: true, rows: result.rows };
    });
    if (!exists) throw new ApiError(404, 'EVENT_NOT_FOUND', 'No such event.', { eventId: request.params.id });
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => r.ticket),
      nextCursor: rows.length > query.limit && last ? encodeCursor([last.position, last.ticket.id]) : null,
    };
  });
}
