// The mail templates, one per kind (app_private.emails.kind). Each gets the context that
// app_private.email_context builds and returns subject, text and HTML. Ticket codes are added by the
// caller (they are signed with a server secret the database does not know).
import { fromMinorUnits } from '../money.ts';

export interface EmailContext {
  emailId: string;
  kind: 'booking_confirmed' | 'payment_refunded' | 'hold_expired' | 'event_rescheduled' | 'event_cancelled';
  recipient: string | null;
  bookingId: string;
  buyerName: string | null;
  total: { amount: number; currency: string };
  event: { id: string; title: string; startsAt: string; venue: string; city: string | null; timezone: string };
  tickets: Array<{ id: string; section: string | null; row: string | null; seat: number | null; priceTier: string; code?: string }>;
  refund: { amount: number; currency: string; reason: string } | null;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const money = (m: { amount: number; currency: string }) => `${fromMinorUnits(m.amount, m.currency)} ${m.currency}`;

function when(ctx: EmailContext): string {
  const local = new Intl.DateTimeFormat('en-GB', { dateStyle: 'full', timeStyle: 'short', timeZone: ctx.event.timezone })
    .format(new Date(ctx.event.startsAt));
  return `${local} (${ctx.event.timezone})`;
}

function place(t: EmailContext['tickets'][number]): string {
  return t.seat === null ? `${t.priceTier}, general admission` : `${t.priceTier}, section ${t.section}, row ${t.row}, seat ${t.seat}`;
}

/** Paragraphs in, both text and HTML out, so that the two versions never say different things. */
function mail(subject: string, greeting: string, paragraphs: string[], list: string[] = []): RenderedMail {
  const text = [greeting, '', ...paragraphs.flatMap((p) => [p, '']), ...list.map((l) => `  * ${l}`), '', '-- Boxoffice'].join('\n');
  const html = `<!doctype html><html><body><p>${escapeHtml(greeting)}</p>${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}`
    + (list.length ? `<ul>${list.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>` : '') + '<p>-- Boxoffice</p></body></html>';
  return { subject, text, html };
}

const TEMPLATES: Record<EmailContext['kind'], (ctx: EmailContext, hi: string) => RenderedMail> = {
  booking_confirmed: (ctx, hi) => mail(`Your tickets for ${ctx.event.title}`, hi, [
    `Your booking ${ctx.bookingId} is confirmed: ${ctx.tickets.length} ticket(s), ${money(ctx.total)} paid.`,
    `${ctx.event.title}, ${ctx.event.venue}${ctx.event.city ? `, ${ctx.event.city}` : ''}, ${when(ctx)}.`,
    'Show one code per person at the door; each code admits once.',
  ], ctx.tickets.map((t) => `${place(t)}: ${t.code ?? ''}`)),
  payment_refunded: (ctx, hi) => mail(`Refund for ${ctx.event.title}`, hi, [
    ctx.refund && ctx.refund.reason !== 'requested'
      ? `Your payment for ${ctx.event.title} arrived after your hold ran out and the tickets could not be issued, so we refunded it.`
      : `We refunded a payment for your booking for ${ctx.event.title}.`,
    `Amount refunded: ${ctx.refund ? money(ctx.refund) : money(ctx.total)}. It can take a few days to show on your statement.`,
  ]),
  hold_expired: (ctx, hi) => mail(`Your hold for ${ctx.event.title} expired`, hi, [
    `Your tickets for ${ctx.event.title} were held for you, but the payment was not completed in time, so they were released.`,
    'If you did pay, the payment is either confirmed or refunded in full; you will get a separate mail.',
  ]),
  event_rescheduled: (ctx, hi) => mail(`${ctx.event.title} has a new date`, hi, [
    `${ctx.event.title} now takes place ${when(ctx)} at ${ctx.event.venue}.`,
    'Your tickets stay valid for the new date.',
  ]),
  event_cancelled: (ctx, hi) => mail(`${ctx.event.title} is cancelled`, hi, [
    `We are sorry: ${ctx.event.title} on ${when(ctx)} is cancelled.`,
    `Your payment of ${money(ctx.total)} will be refunded in full; you will get a mail when it is done.`,
  ]),
};

export function renderEmail(ctx: EmailContext): RenderedMail {
  return TEMPLATES[ctx.kind](ctx, `Hello ${ctx.buyerName ?? 'there'},`);
}
