// POST /checkin {code}: door scanners admit e-tickets. There are no staff accounts yet, so a scanner
// authenticates with the shared key CHECKIN_API_KEY as `Authorization: Bearer <key>` (off in
// production until that key is set). The code's signature is checked here, without the database;
// the database then admits the booked ticket once (app_private.check_in).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { verifyTicketCode } from '../../lib/tickets.ts';
import type { ServerContext } from '../context.ts';
import { ApiError } from '../errors.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

export async function checkinRoutes(app: FastifyInstance, ctx: ServerContext) {
  const key = ctx.config.checkinApiKey;
  if (!key) return;
  const expected = digest(key);

  function requireScanner(request: FastifyRequest) {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    // Compared as digests: same length, constant time.
    if (!match || !timingSafeEqual(digest(match[1]), expected)) {
      throw new ApiError(401, 'CHECKIN_KEY_REQUIRED', 'Check-in needs the door scanners\' key: Authorization: Bearer <CHECKIN_API_KEY>.');
    }
  }

  app.post<{ Body: { code: string } }>('/checkin', {
    config: { machineAuth: true },
    schema: {
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['code'],
        properties: { code: { type: 'string', minLength: 1, maxLength: 200 } },
      },
    },
  }, async (request) => {
    requireScanner(request);
    const ids = verifyTicketCode(ctx.config.ticketSigningSecret, request.body.code);
    if (!ids) throw new ApiError(422, 'INVALID_TICKET_CODE', 'This is not a genuine Boxoffice ticket code.');
    const { rows } = await ctx.pool.query<{ event_id: string; checked_in_at: Date }>(
      'select * from app_private.check_in($1, $2)', [ids.bookingId, ids.ticketId]);
    return { admitted: true, bookingId: ids.bookingId, ticketId: ids.ticketId, eventId: rows[0].event_id, checkedInAt: rows[0].checked_in_at.toISOString() };
  });
}
