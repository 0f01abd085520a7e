--! Previous: sha1:b61f04bb85829367f669bebce5fce334f37a4649
--! Hash: sha1:23dcd858f421cf3aeca7d64d7bb0b8f045ee4225
--! Message: Payments and notifications: webhook events, refunds, outbox, emails, check-in

-- Payments and notifications: provider references, webhook log, refunds, outbox, emails, check-in.
-- Functions live in db/functions/payments.sql and db/functions/notifications.sql.

alter table app_private.payment_secrets add column if not exists provider_payment_ref text;
comment on column app_private.payment_secrets.provider_payment_ref is 'The provider''s id of the money movement (Stripe PaymentIntent), needed to refund.';
create unique index if not exists payment_secrets_provider_ref_idx on app_private.payment_secrets (provider_ref);

/*
 * Every provider event is stored once, keyed by the provider's event id; a duplicate delivery finds
 * its id taken and changes nothing.
 */
drop table if exists app_private.webhook_events;
create table app_private.webhook_events (
  id text primary key,
  provider text not null check (provider in ('dev', 'stripe')),
  type text not null,
  payload jsonb not null,
  received_at timestamptz not null default now()
);
comment on table app_private.webhook_events is 'Each payment provider event, stored once; a redelivery is recognised by its id.';
alter table app_private.webhook_events enable row level security;

/*
 * Refunds: money owed back on a payment, full or partial. One row per refund; its id is the provider
 * idempotency key, so retries of the refund job can never pay out twice.
 */
drop table if exists app_private.refund_secrets;
drop table if exists app_public.refunds;
create table app_public.refunds (
  id uuid primary key default gen_random_uuid(),
  payment_id uuid not null references app_public.payments on delete cascade,
  booking_id uuid not null references app_public.bookings on delete cascade,
  amount int not null check (amount > 0),
  currency char(3) not null,
  reason text not null check (reason in ('tickets_taken', 'limit_reached', 'sale_closed', 'booking_cancelled',
                                         'duplicate_payment', 'event_cancelled', 'requested')),
  status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
  created_at timestamptz not null default now(),
  succeeded_at timestamptz,
  check ((status = 'succeeded') = (succeeded_at is not null))
);
create index on app_public.refunds (payment_id);
create index on app_public.refunds (booking_id);
-- A payment that could not buy its tickets is refunded automatically once, whatever calls repeat.
create unique index refunds_one_automatic_per_payment on app_public.refunds (payment_id) where reason <> 'requested';
comment on table app_public.refunds is 'Money paid back on a payment (full or partial), in minor units of currency.';
comment on column app_public.refunds.reason is 'Why: a late payment lost its tickets (tickets_taken, limit_reached, sale_closed), a payment for a released booking (booking_cancelled), a second payment (duplicate_payment), the event was cancelled (event_cancelled), or an operator''s refund (requested).';

create table app_private.refund_secrets (
  refund_id uuid primary key references app_public.refunds on delete cascade,
  provider_ref text unique
);
comment on table app_private.refund_secrets is 'The provider''s id of a refund (Stripe re_...).';

alter table app_public.refunds enable row level security;
create policy "Users can see the refunds of their own bookings" on app_public.refunds
  for select using (exists (select 1 from app_public.bookings b where b.id = booking_id));
grant select on app_public.refunds to boxoffice_visitor;
alter table app_private.refund_secrets enable row level security;

/*
 * Outbox: follow-up work written by busy transactions (confirmation, release, the sweep) as plain
 * rows; app_private.drain_outbox turns them into graphile-worker jobs in batches, one NOTIFY each.
 */
drop table if exists app_private.outbox;
create table app_private.outbox (
  id bigint generated always as identity primary key,
  task text not null,
  payload jsonb not null,
  job_key text,
  run_at timestamptz not null default now(),
  created_at timestamptz not null default now()
);
comment on table app_private.outbox is 'Jobs to enqueue, written inside business transactions and drained in batches (see DESIGN.md, hot paths).';
alter table app_private.outbox enable row level security;

/*
 * Emails: one row per booking, kind and variant; the unique key is what makes "exactly once" a
 * database rule rather than a hope.
 */
drop table if exists app_private.emails;
create table app_private.emails (
  id uuid primary key default gen_random_uuid(),
  booking_id uuid not null references app_public.bookings on delete cascade,
  kind text not null check (kind in ('booking_confirmed', 'payment_refunded', 'hold_expired',
                                     'event_rescheduled', 'event_cancelled')),
  -- Distinguishes legitimate repeats of a kind (each refund, each reschedule); '' otherwise.
  variant text not null default '',
  recipient citext,
  subject text,
  text_body text,
  html_body text,
  provider text check (provider in ('dev', 'postmark')),
  provider_message_id text,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  unique (booking_id, kind, variant)
);
comment on table app_private.emails is 'Mail owed to buyers, one row per booking, kind and variant; sent_at once delivered to the mail provider.';
alter table app_private.emails enable row level security;

/*
 * Check-in: a ticket of a booking is admitted once.
 */
drop table if exists app_private.checkins;
create table app_private.checkins (
  booking_id uuid not null references app_public.bookings on delete cascade,
  ticket_id uuid not null,
  event_id uuid not null,
  checked_in_at timestamptz not null default now(),
  primary key (booking_id, ticket_id)
);
comment on table app_private.checkins is 'Tickets admitted at the door; the key admits each booked ticket once.';
alter table app_private.checkins enable row level security;
