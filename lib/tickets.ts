// E-ticket codes that a door scanner's server can check without a lookup: the booking and ticket ids
// with an HMAC-SHA256 over them (key TICKET_SIGNING_SECRET). A forged or altered code fails the HMAC;
// whether the ticket is still valid (not cancelled, not refunded, not yet admitted) is the database's
// answer at check-in.
import { createHmac, timingSafeEqual } from 'node:crypto';

const PREFIX = 'BX1';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const CODE = new RegExp(`^${PREFIX}\\.(${UUID})\\.(${UUID})\\.([A-Za-z0-9_-]{22})$`);

function mac(secret: string, bookingId: string, ticketId: string): Buffer {
  // 128 bits of the HMAC: plenty against forgery, short enough for a QR code.
  return createHmac('sha256', secret).update(`${PREFIX}.${bookingId}.${ticketId}`).digest().subarray(0, 16);
}

export function ticketCode(secret: string, bookingId: string, ticketId: string): string {
  return `${PREFIX}.${bookingId}.${ticketId}.${mac(secret, bookingId, ticketId).toString('base64url')}`;
}

/** The ids a genuine code names, or null for anything forged, altered or malformed. */
export function verifyTicketCode(secret: string, code: string): { bookingId: string; ticketId: string } | null {
  const match = CODE.exec(code.trim());
  if (!match) return null;
  const [, bookingId, ticketId, signature] = match;
  const given = Buffer.from(signature, 'base64url');
  const expected = mac(secret, bookingId, ticketId);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return { bookingId, ticketId };
}
