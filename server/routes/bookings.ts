// Hold, look at, release, pay for and confirm bookings. Every rule is in db/functions/bookings.sql;
// this file parses requests, calls those functions as the caller, and shapes the answers.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { requireUser } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { openCheckout, syncPaymentsFromProvider } from '../checkout.ts';
import { ApiError } from '../errors.ts';
import { BOOKING_JSON } from '../representations.ts';

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
} as const;

/** Why a payment that came after the hold ran out could not confirm the booking. */
const LATE_PAYMENT_LOSSES: Record<string, [string, string]> = {
  tickets_taken: ['TICKETS_TAKEN', 'The hold ran out and its tickets were taken before the payment arrived.'],
  limit_reached: ['TICKET_LIMIT_REACHED', 'The hold ran out, and confirming it now would go over the per-person limit.'],
  sale_closed: ['EVENT_NOT_ON_SALE', 'The hold ran out, and the event is no longer on sale.'],
};

interface CreateBody {
  eventId: string;
  ticketIds?: string[];
  priceTierId?: string;
  quantity?: number;
}

async function bookingJson(client: pg.PoolClient, id: string): Promise<Record<string, unknown> | null> {
  const { rows } = await client.query(`select ${BOOKING_JSON} as booking from app_public.bookings b where b.id = $1`, [id]);
  return rows[0]?.booking ?? null;
}

export async function bookingRoutes(app: FastifyInstance, ctx: ServerContext) {
  /** Calls a booking function as the signed-in caller and answers with the booking it returns. */
  function callBookingFunction(request: FastifyRequest, sql: string, params: unknown[]) {
    requireUser(request);
    return ctx.asCaller(request, async (client) => {
      const { rows } = await client.query<{ id: string }>(sql, params);
      return (await bookingJson(client, rows[0].id))!;
    });
  }

  app.post<{ Body: CreateBody }>('/bookings', {
    schema: {
      headers: {
        type: 'object',
        properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 255 } },
      },
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['eventId'],
        properties: {
          eventId: { type: 'string', format: 'uuid' },
          ticketIds: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string', format: 'uuid' } },
          priceTierId: { type: 'string', format: 'uuid' },
          quantity: { type: 'integer', minimum: 1, maximum: 100 },
        },
      },
    },
  }, async (request, reply) => {
    const body = request.body;
    const key = request.headers['idempotency-key'];
    const booking = await callBookingFunction(request,
      'select (app_public.create_booking($1, $2::uuid[], $3, $4, $5)).id',
      [body.eventId, body.ticketIds ?? null, body.priceTierId ?? null, body.quantity ?? null, typeof key === 'string' ? key : null]);
    return reply.status(201).send(booking);
  });

  app.get<{ Params: { id: string } }>('/bookings/:id', { schema: { params: idParams } }, async (request) => {
    requireUser(request);
    const booking = await ctx.asCaller(request, (client) => bookingJson(client, request.params.id));
    // Someone else's booking is invisible under RLS, and answers exactly like an unknown one.
    if (!booking) throw new ApiError(404, 'BOOKING_NOT_FOUND', 'No such booking.', { bookingId: request.params.id });
    return booking;
  });

  app.delete<{ Params: { id: string } }>('/bookings/:id', { schema: { params: idParams } }, (request) =>
    callBookingFunction(request, 'select (app_public.cancel_booking($1)).id', [request.params.id]));

  app.post<{ Params: { id: string } }>('/bookings/:id/checkout', { schema: { params: idParams } }, async (request) => {
    requireUser(request);
    return openCheckout(ctx, request, request.params.id);
  });

  app.post<{ Params: { id: string } }>('/bookings/:id/confirm', { schema: { params: idParams } }, async (request) => {
    requireUser(request);
    await syncPaymentsFromProvider(ctx, request, request.params.id);
    const booking = await callBookingFunction(request, 'select (app_public.confirm_booking($1)).id', [request.params.id]);
    const lost = booking.status === 'expired' ? LATE_PAYMENT_LOSSES[booking.endedReason as string] : undefined;
    if (lost) throw new ApiError(409, lost[0], lost[1], { booking });
    return booking;
  });
}
