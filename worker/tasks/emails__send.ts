// Sends one owed mail. The row is locked while it is rendered and handed to the mailer, and marked
// sent in the same transaction, so two runs of this job (a retry, or a duplicate enqueue) send it
// once: the second waits for the lock, then finds it sent. (A crash after the provider accepted the
// mail but before our commit would send it again on retry; Postmark has no idempotency key.)
import type { Task } from 'graphile-worker';
import type { EmailContext } from '../../lib/mail/templates.ts';
import { renderEmail } from '../../lib/mail/templates.ts';
import { ticketCode } from '../../lib/tickets.ts';
import { inTransaction, type WithClient, type WorkerDeps } from '../deps.ts';

export async function sendEmail(withClient: WithClient, deps: WorkerDeps, emailId: string): Promise<'sent' | 'already_sent' | 'missing'> {
  return inTransaction(withClient, async (client) => {
    const locked = await client.query<{ sent_at: Date | null }>('select sent_at from app_private.emails where id = $1 for update', [emailId]);
    if (!locked.rows.length) return 'missing';
    if (locked.rows[0].sent_at) return 'already_sent';
    const ctx = (await client.query<{ c: EmailContext }>('select app_private.email_context($1) as c', [emailId])).rows[0].c;
    if (ctx.kind === 'booking_confirmed') {
      for (const ticket of ctx.tickets) ticket.code = ticketCode(deps.config.ticketSigningSecret, ctx.bookingId, ticket.id);
    }
    const rendered = renderEmail(ctx);
    // No address (an identity without email): keep the mail, there is nobody to send it to.
    const sent = ctx.recipient
      ? await deps.mailer.send({ to: ctx.recipient, ...rendered, tag: ctx.kind, emailId })
      : null;
    await client.query(
      `update app_private.emails set subject = $2, text_body = $3, html_body = $4, provider = $5, provider_message_id = $6, sent_at = now()
        where id = $1`,
      [emailId, rendered.subject, rendered.text, rendered.html, sent ? deps.mailer.provider : null, sent?.messageId ?? null]);
    return 'sent';
  });
}

export default (deps: WorkerDeps): Task => async (payload, helpers) => {
  await sendEmail(helpers.withPgClient, deps, (payload as { emailId: string }).emailId);
};
