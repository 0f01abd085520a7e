// Browse: search and list events (app_public.search_events), type-ahead suggestions, one event, its tickets.
// Read-only, as the caller (drafts stay hidden by RLS).
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
  from?: string; to?: string; minPrice?: number; maxPrice?: number; onSaleOnly?: boolean;
  includePast?: boolean; includeCancelled?: boolean; sort?: 'relevance' | 'date' | 'name'; limit: number; cursor?: string;
}

// A search box can receive anything pasted into it: up to 12,000 characters are accepted (only the
// first words count, see db/functions/search.sql), so a long query is answered, not refused.
const Q_MAX = 12000;
const dateOrTime = { type: 'string', anyOf: [{ format: 'date' }, { format: 'date-time' }] } as const;

/** from/to as instants: a bare date is a whole UTC day, so to=2027-01-31 includes events on the 31st. */
function instant(value: string | undefined, end: boolean): string | null {
  if (value === undefined) return null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const day = new Date(`${value}T00:00:00.000Z`);
  if (end) day.setUTCDate(day.getUTCDate() + 1);
  // The day after 9999-12-31 has no ISO form PostgreSQL reads: everything is before it.
  return day.getUTCFullYear() > 9999 ? 'infinity' : day.toISOString();
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
          q: { type: 'string', maxLength: Q_MAX },
          city: { type: 'string', maxLength: 200 },
          // Empty is no filter, as for city and category (an HTML form sends empty fields).
          country: { type: 'string', pattern: '^([A-Za-z]{2})?$' },
          category: { type: 'string', maxLength: 200 },
          venue: { type: 'string', format: 'uuid' },
          performer: { type: 'string', format: 'uuid' },
          from: dateOrTime,
          to: dateOrTime,
          minPrice: { type: 'integer', minimum: 0, maximum: 2147483647 },
          maxPrice: { type: 'integer', minimum: 0, maximum: 2147483647 },
          onSaleOnly: { type: 'boolean' },
          includePast: { type: 'boolean' },
          includeCancelled: { type: 'boolean' },
          sort: { type: 'string', enum: ['relevance', 'date', 'name'] },
          limit: limitProp,
          cursor: { type: 'string', maxLength: 500 },
        },
      },
    },
  }, async (request) => {
    const query = request.query;
    // One more than the page, to know whether there is a next one; its cursor is the last shown hit's.
    const rows = await ctx.asCaller(request, async (client) => (await client.query(
      `select ${EVENT_JSON} as event, h.cursor
         from app_public.search_events(q => $1, from_time => $2, to_time => $3, city => $4, country => $5, category => $6,
                                       venue_id => $7, performer_id => $8, min_price => $9, max_price => $10,
                                       on_sale_only => $11, include_past => $12, include_cancelled => $13,
                                       sort => $14, cursor => $15, page_size => $16) with ordinality as h
         join app_public.events e on e.id = (h.event).id
         join app_public.venues v on v.id = e.venue_id
        order by h.ordinality`,
      [query.q ?? null, instant(query.from, false), instant(query.to, true), query.city ?? null, query.country ?? null,
       query.category ?? null, query.venue ?? null, query.performer ?? null, query.minPrice ?? null, query.maxPrice ?? null,
       query.onSaleOnly ?? false, query.includePast ?? false, query.includeCancelled ?? false, query.sort ?? null,
       query.cursor ?? null, query.limit + 1])).rows);
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((r) => r.event),
      nextCursor: rows.length > query.limit ? page[page.length - 1].cursor : null,
    };
  });

  // Type-ahead: completions for what has been typed so far.
  app.get<{ Querystring: { q: string; limit: number } }>('/events/suggest', {
    schema: {
      querystring: {
        type: 'object',
        additionalProperties: false,
        required: ['q'],
        properties: {
          q: { type: 'string', maxLength: Q_MAX },
          limit: { type: 'integer', minimum: 1, maximum: 10, default: 10 },
        },
      },
    },
  }, async (request) => {
    const rows = await ctx.asCaller(request, async (client) => (await client.query(
      'select kind, id, label, detail from app_public.search_suggestions($1, $2)', [request.query.q, request.query.limit])).rows);
    return { items: rows };
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
