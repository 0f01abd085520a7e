// Mail owed to buyers is sent exactly once: the database refuses a second "booking confirmed" row
// for a booking, the outbox turns rows into jobs in one batch, and emails__send run twice at once
// (a retry racing, or a duplicate enqueue) hands the mail to Postmark once. Postmark down: the job
// fails and the retry sends it. Without a Postmark token the dev mailer keeps it for /dev/mail.
import t from 'tap';
import { makeDeps, withClientOf } from '../../worker/deps.ts';
import { sendEmail } from '../../worker/tasks/emails__send.ts';
import { drainOutbox } from '../../worker/tasks/outbox__drain.ts';
import { loadConfig } from '../../lib/config.ts';
import { makeEvent, testDatabaseUrl } from '../helpers/db.ts';
import { loginMany } from '../helpers/observe.ts';
import { startPaymentStack } from '../helpers/payments.ts';

const stack = await startPaymentStack({ postmark: true });
const { server, stripe, pool, deps, withClient } = stack;
const postmark = stack.postmark!;
t.teardown(() => stack.close());

async function confirmedBooking(tickets = 2) {
  const event = await makeEvent(pool, { tickets, seated: true, title: `Mail Test ${Math.random().toString(36).slice(2, 8)}` });
  const [ann] = await loginMany(server, 1);
  const { bookingId, sessionId } = await stack.holdAndCheckout(ann, event.eventId, event.ticketIds);
  await stack.deliver('checkout.session.completed', stripe.pay(sessionId));
  const { rows } = await pool.query<{ id: string }>(`select id from app_private.emails where booking_id = $1 and kind = 'booking_confirmed'`, [bookingId]);
  return { bookingId, emailId: rows[0].id, event, token: ann };
}

t.test('a second "booking confirmed" row for a booking is refused by the database', async (t) => {
  const { bookingId } = await confirmedBooking(1);
  await t.rejects(pool.query(`insert into app_private.emails (booking_id, kind) values ($1, 'booking_confirmed')`, [bookingId]), { code: '23505' });
});

t.test('the outbox becomes jobs in one batch; emails__send twice at once sends one mail with the e-tickets', async (t) => {
  const { bookingId, emailId } = await confirmedBooking(2);
  t.ok(await drainOutbox(withClient) >= 1, 'the drain moved the outbox rows');
  const job = await pool.query(`select 1 from graphile_worker.jobs where key = $1`, [`emails__send:${emailId}`]);
  t.equal(job.rowCount, 1, 'one emails__send job for the mail');
  const left = await pool.query(`select 1 from app_private.outbox where payload->>'emailId' = $1`, [emailId]);
  t.equal(left.rowCount, 0, 'and no outbox row left for it');

  const before = postmark.sent.length;
  const outcomes = await Promise.all(Array.from({ length: 5 }, () => sendEmail(withClient, deps, emailId)));
  t.same(outcomes.sort(), ['already_sent', 'already_sent', 'already_sent', 'already_sent', 'sent']);
  const mails = postmark.sent.slice(before);
  t.equal(mails.length, 1, 'Postmark got one mail');
  t.equal(mails[0].Tag, 'booking_confirmed');
  t.equal(mails[0].Metadata.emailId, emailId);
  t.match(mails[0].Subject, /^Your tickets for Mail Test/);
  const codes = mails[0].TextBody.match(/BX1\.[\w.-]+/g) ?? [];
  t.equal(codes.length, 2, 'one e-ticket code per ticket');
  t.ok(codes.every((c) => c.includes(bookingId)), 'codes name the booking');
  t.ok(mails[0].HtmlBody.includes(codes[0] ?? 'none'), 'the HTML version shows them too');
});

t.test('Postmark down: the job fails, nothing is marked sent, and the retry sends once', async (t) => {
  const { emailId } = await confirmedBooking(1);
  postmark.mode = 'error';
  await t.rejects(sendEmail(withClient, deps, emailId));
  postmark.mode = 'ok';
  const row = await pool.query('select sent_at from app_private.emails where id = $1', [emailId]);
  t.equal(row.rows[0].sent_at, null, 'still owed');
  const before = postmark.sent.length;
  t.equal(await sendEmail(withClient, deps, emailId), 'sent');
  t.equal(await sendEmail(withClient, deps, emailId), 'already_sent');
  t.equal(postmark.sent.length, before + 1);
});

t.test('the dev mailer keeps mail for GET /dev/mail', async (t) => {
  const { emailId, bookingId } = await confirmedBooking(1);
  const devDeps = makeDeps(loadConfig({ ...process.env, NODE_ENV: 'test', DATABASE_URL: testDatabaseUrl() }));
  t.equal(devDeps.mailer.provider, 'dev');
  t.equal(await sendEmail(withClientOf(pool), devDeps, emailId), 'sent');
  const list = await server.request('GET', '/dev/mail?limit=200');
  const mine = list.body.items.find((m: { id: string }) => m.id === emailId);
  t.ok(mine, 'listed');
  t.equal(mine.bookingId, bookingId);
  t.match(mine.text, /BX1\./, 'with the ticket codes');
});

t.test('event rescheduled or cancelled: one mail per confirmed booking and change; cancel refunds once', async (t) => {
  const event = await makeEvent(pool, { tickets: 3 });
  const [ann, bob, cat] = await loginMany(server, 3);
  const paid: string[] = [];
  for (const [token, ticket] of [[ann, event.ticketIds[0]], [bob, event.ticketIds[1]]] as const) {
    const c = await stack.holdAndCheckout(token, event.eventId, [ticket]);
    await stack.deliver('checkout.session.completed', stripe.pay(c.sessionId));
    paid.push(c.bookingId);
  }
  const held = await stack.holdAndCheckout(cat, event.eventId, [event.ticketIds[2]]);
  const mails = async (kind: string) => (await pool.query(
    `select booking_id, variant from app_private.emails where kind = $1 and booking_id = any($2) order by 1, 2`, [kind, [...paid, held.bookingId]])).rows;

  t.equal((await pool.query(`select app_private.notify_event_holders($1, 'event_rescheduled') as n`, [event.eventId])).rows[0].n, 2);
  await pool.query(`select app_private.notify_event_holders($1, 'event_rescheduled')`, [event.eventId]);
  t.equal((await mails('event_rescheduled')).length, 2, 'the same change notifies once');
  await pool.query(`update app_public.events set starts_at = starts_at + interval '1 day' where id = $1`, [event.eventId]);
  await pool.query(`select app_private.notify_event_holders($1, 'event_rescheduled')`, [event.eventId]);
  t.equal((await mails('event_rescheduled')).length, 4, 'a second change notifies again');

  await pool.query(`select app_private.notify_event_holders($1, 'event_cancelled')`, [event.eventId]);
  await pool.query(`select app_private.notify_event_holders($1, 'event_cancelled')`, [event.eventId]);
  t.equal((await mails('event_cancelled')).length, 2, 'holders of confirmed bookings only, once');
  const refunds = await pool.query(`select booking_id, amount, reason from app_public.refunds where booking_id = any($1)`, [paid]);
  t.same(refunds.rows.map((r) => [r.amount, r.reason]), [[5000, 'event_cancelled'], [5000, 'event_cancelled']], 'one full refund per paid booking');
});
