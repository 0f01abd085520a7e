// How events, tickets and bookings look in REST responses, built by PostgreSQL as JSON in one query
// (field names as in DESIGN.md's REST contract). Each fragment expects the alias named in its comment.
import { ApiError } from './errors.ts';

const money = (amount: string, currency: string) => `json_build_object('amount', ${amount}, 'currency', ${currency})`;

// Times are ISO 8601 UTC with milliseconds, the same text as JavaScript's toISOString().
export const isoUtc = (expr: string) => `to_char(${expr} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** An event row aliased e, joined to its venue aliased v. */
export const EVENT_JSON = `json_build_object(
  'id', e.id,
  'title', e.title,
  'description', e.description,
  'category', e.category,
  'genre', e.genre,
  'status', e.status,
  'onSale', app_public.events_on_sale(e),
  'startsAt', ${isoUtc('e.starts_at')},
  'localStartsAt', to_char(e.starts_at at time zone v.timezone, 'YYYY-MM-DD"T"HH24:MI:SS'),
  'timezone', v.timezone,
  'url', e.url,
  'imageUrl', e.image_url,
  'venue', json_build_object('id', v.id, 'name', v.name, 'address', v.address, 'city', v.city,
                             'state', v.state, 'country', v.country, 'timezone', v.timezone),
  'performers', (select coalesce(json_agg(json_build_object('id', p.id, 'name', p.name) order by ep.position, p.name), '[]')
                   from app_public.event_performers ep join app_public.performers p on p.id = ep.performer_id
                  where ep.event_id = e.id),
  'priceTiers', (select coalesce(json_agg(json_build_object('id', pt.id, 'name', pt.name,
                                          'price', ${money('pt.amount', 'pt.currency')}) order by pt.amount desc, pt.name), '[]')
                   from app_public.price_tiers pt where pt.event_id = e.id),
  'availability', (select json_build_object('available', a.available, 'held', a.held, 'sold', a.sold, 'total', a.total)
                     from app_public.events_availability(e) a),
  'saleStartsAt', ${isoUtc('e.sale_starts_at')},
  'saleEndsAt', ${isoUtc('e.sale_ends_at')},
  'maxTicketsPerUser', e.max_tickets_per_user,
  'holdSeconds', e.hold_seconds,
  'queueEnabled', e.queue_enabled
)`;

/** A ticket row aliased t (price tier pt and seat s are looked up here). */
export const TICKET_JSON = `(select json_build_object(
  'id', t.id,
  'eventId', t.event_id,
  'section', coalesce(s.section, 'General admission'),
  'row', s.row_label,
  'seat', s.seat_number,
  'priceTierId', t.price_tier_id,
  'priceTier', pt.name,
  'price', ${money('pt.amount', 'pt.currency')},
  'status', app_hidden.ticket_state(t.event_id, t.id)
) from app_public.price_tiers pt left join app_public.seats s on s.id = t.seat_id where pt.id = t.price_tier_id)`;

/** A booking row aliased b. Ticket prices are the ones claimed, not today's. */
export const BOOKING_JSON = `json_build_object(
  'id', b.id,
  'status', app_public.bookings_current_status(b),
  'endedReason', case when b.status = 'held' and b.expires_at <= now() then 'hold_expired' else b.ended_reason end,
  'eventId', b.event_id,
  'tickets', (select coalesce(json_agg(${TICKET_JSON}::jsonb || jsonb_build_object('price', ${money('c.amount', 'b.currency')})
                                        order by t.position, t.id), '[]')
                from app_public.booking_tickets c join app_public.tickets t on t.event_id = c.event_id and t.id = c.ticket_id
               where c.booking_id = b.id),
  'total', ${money('b.total_amount', 'b.currency')},
  'expiresAt', ${isoUtc('b.expires_at')},
  'createdAt', ${isoUtc('b.created_at')},
  'confirmedAt', ${isoUtc('b.confirmed_at')},
  'endedAt', ${isoUtc("case when b.status = 'held' and b.expires_at <= now() then b.expires_at else b.ended_at end")}
)`;

/** Opaque keyset cursors: the sort key of the last row, base64url-encoded JSON. */
export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

type CursorPart = 'timestamp' | 'uuid' | 'position';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const cursorPartOk: Record<CursorPart, (v: unknown) => boolean> = {
  timestamp: (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(v) && !Number.isNaN(Date.parse(v)),
  uuid: (v) => typeof v === 'string' && UUID.test(v),
  position: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 2 ** 31 - 1,
};

/** The cursor's sort key, checked part by part so that a forged cursor never reaches SQL as bad data. */
export function decodeCursor(cursor: string | undefined, shape: CursorPart[]): unknown[] | null {
  if (cursor === undefined) return null;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length === shape.length && key.every((v, i) => cursorPartOk[shape[i]](v))) return key;
  } catch {
    // fall through to the error below
  }
  throw new ApiError(400, 'INVALID_CURSOR', 'The cursor is not one this API gave out.');
}
