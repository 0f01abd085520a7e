// The one place that turns failures into HTTP answers: { error: { code, message, details } }.
// Every code here is listed in docs/error_codes.md.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ProviderError } from '../lib/payments/gateway.ts';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Boxoffice's own SQLSTATEs (raised through app_hidden.raise_error) -> HTTP status and code. */
const SQLSTATES: Record<string, [number, string]> = {
  BXAUT: [401, 'AUTH_REQUIRED'],
  BXINP: [422, 'INVALID_BOOKING_REQUEST'],
  BXEVN: [404, 'EVENT_NOT_FOUND'],
  BXNOS: [409, 'EVENT_NOT_ON_SALE'],
  BXQUE: [403, 'QUEUE_ADMISSION_REQUIRED'],
  BXLIM: [409, 'TICKET_LIMIT_REACHED'],
  BXTNF: [422, 'TICKETS_NOT_FOUND'],
  BXTKU: [409, 'TICKETS_UNAVAILABLE'],
  BXPTN: [422, 'PRICE_TIER_NOT_FOUND'],
  BXSLD: [409, 'SOLD_OUT'],
  BXIDK: [422, 'IDEMPOTENCY_KEY_REUSED'],
  BXBNF: [404, 'BOOKING_NOT_FOUND'],
  BXBST: [409, 'BOOKING_STATE_CONFLICT'],
  BXPAY: [402, 'PAYMENT_REQUIRED'],
  BXPNF: [404, 'PAYMENT_NOT_FOUND'],
  BXADM: [403, 'ADMIN_REQUIRED'],
  BXADI: [422, 'INVALID_ADMIN_REQUEST'],
  BXEST: [409, 'EVENT_STATE_CONFLICT'],
  BXVNF: [404, 'VENUE_NOT_FOUND'],
  BXVCH: [409, 'VENUE_CHANGE_NOT_ALLOWED'],
  BXAUD: [403, 'AUDIT_LOG_APPEND_ONLY'],
  BXRFD: [409, 'REFUND_NOT_ALLOWED'],
  BXTNV: [409, 'TICKET_NOT_VALID'],
  BXCHK: [409, 'ALREADY_CHECKED_IN'],
  BXCUR: [400, 'INVALID_CURSOR'],
  BXSRT: [400, 'INVALID_SEARCH'],
};

interface PgError extends Error {
  code?: string;
  detail?: string;
}

function fromPostgres(err: PgError): ApiError | null {
  const code = err.code;
  if (!code) return null;
  const mapped = SQLSTATES[code];
  if (mapped) {
    let details: Record<string, unknown> = {};
    try {
      details = err.detail ? JSON.parse(err.detail) : {};
    } catch {
      // A detail that is not JSON is not ours to pass on.
    }
    return new ApiError(mapped[0], mapped[1], err.message, details);
  }
  // The database as last line: a claim that slipped past the functions still cannot double-book.
  if (code === '23P01') return new ApiError(409, 'TICKETS_UNAVAILABLE', 'Some of these tickets are no longer available.');
  // Row-level security or a missing grant: the caller's role may not do this (e.g. a visitor calling
  // an admin mutation, or writing a column no grant names).
  if (code === '42501') return new ApiError(403, 'FORBIDDEN', 'You are not allowed to do this.');
  // Admin writes through the generated mutations: a reference to a missing row, a duplicate, a rule.
  if (code === '23503') return new ApiError(422, 'REFERENCE_NOT_FOUND', 'A referenced row does not exist.', { constraint: (err as { constraint?: string }).constraint });
  if (code === '23505') return new ApiError(409, 'ALREADY_EXISTS', 'A row with these values already exists.', { constraint: (err as { constraint?: string }).constraint });
  if (code === '23514' || code === '23502') return new ApiError(422, 'CONSTRAINT_VIOLATED', 'A value breaks a rule of this table.', { constraint: (err as { constraint?: string }).constraint ?? null });
  // Data exceptions (bad number, bad date, value out of range) are the client's input.
  if (code.startsWith('22')) return new ApiError(400, 'INVALID_INPUT', 'A value in the request is not valid.');
  return null;
}

function fromFastify(err: FastifyError): ApiError | null {
  if (err.validation) {
    return new ApiError(400, 'VALIDATION_FAILED', err.message, {
      problems: err.validation.map((v) => ({ path: v.instancePath || v.params?.missingProperty || '', message: v.message })),
    });
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, 'MALFORMED_JSON', 'The request body is not valid JSON.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'PAYLOAD_TOO_LARGE', 'The request body is too large.');
  }
  if (err instanceof SyntaxError && err.statusCode === 400) {
    return new ApiError(400, 'MALFORMED_JSON', 'The request body is not valid JSON.');
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new ApiError(err.statusCode, 'BAD_REQUEST', err.message);
  }
  return null;
}

// The database refused or dropped the connection, or is shutting down or starting up (SQLSTATE
// class 08, 57P01-57P03): the request can be tried again once it is back.
const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', '57P01', '57P02', '57P03']);
function databaseUnavailable(err: PgError): boolean {
  if (err?.code) return CONNECTION_ERRORS.has(err.code) || err.code.startsWith('08');
  // node-postgres reports a connection closed under it without a code.
  return err instanceof Error && /^Connection terminated/.test(err.message);
}

export function toApiError(err: unknown): ApiError | null {
  if (err instanceof ApiError) return err;
  if (databaseUnavailable(err as PgError)) {
    return new ApiError(503, 'DATABASE_UNAVAILABLE', 'The database does not answer; try again in a moment.');
  }
  // The provider is down or refused: nothing was lost on our side, and the same request can be retried.
  if (err instanceof ProviderError) {
    return new ApiError(502, 'PAYMENT_PROVIDER_UNAVAILABLE', 'The payment provider did not answer; try again in a moment.', { provider: err.provider });
  }
  return fromPostgres(err as PgError) ?? fromFastify(err as FastifyError);
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const apiError = toApiError(err);
  if (!apiError) {
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'INTERNAL', message: 'Something went wrong on our side.', details: {} } });
  }
  return reply.status(apiError.status).send({ error: { code: apiError.code, message: apiError.message, details: apiError.details } });
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  return reply.status(404).send({ error: { code: 'ROUTE_NOT_FOUND', message: `No route ${request.method} ${request.url.split('?')[0]}.`, details: {} } });
}
