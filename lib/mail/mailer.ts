// The one way mail leaves Boxoffice: Postmark through its official SDK, or, without
// POSTMARK_SERVER_TOKEN, the dev mailer, which sends nothing (the rendered mail is kept in
// app_private.emails and listed at /dev/mail).
import { randomUUID } from 'node:crypto';
import { ServerClient } from 'postmark';
import type { Config } from '../config.ts';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Postmark tag: the mail's kind, for the provider's statistics. */
  tag: string;
  /** Our email row id, carried along so a mail at the provider can be traced back. */
  emailId: string;
}

export interface Mailer {
  readonly provider: 'dev' | 'postmark';
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
}

export function makeMailer(config: Config): Mailer {
  const { serverToken, apiHost, useHttps } = config.postmark;
  if (!serverToken) {
    return { provider: 'dev', send: async () => ({ messageId: `dev-${randomUUID()}` }) };
  }
  const client = new ServerClient(serverToken, {
    useHttps,
    timeout: 20,
    ...(apiHost ? { requestHost: apiHost } : {}),
  });
  return {
    provider: 'postmark',
    async send(mail) {
      const result = await client.sendEmail({
        From: config.mailFrom,
        To: mail.to,
        Subject: mail.subject,
        TextBody: mail.text,
        HtmlBody: mail.html,
        Tag: mail.tag,
        Metadata: { emailId: mail.emailId },
        MessageStream: 'outbound',
      });
      return { messageId: result.MessageID };
    },
  };
}
