-- Payment attempts. The provider is chosen by the server's configuration (setting
-- boxoffice.payment_provider); money only ever moves a booking forward through
-- app_private.record_payment_succeeded, which the provider's verified callback calls.

-- These functions name tables that a pending migration may still be creating when graphile-migrate
-- applies this file (it runs after the committed migrations, before current.sql): check bodies at
-- first call, as pg_dump does.
set check_function_bodies to off;

create or replace function app_public.start_checkout(booking_id uuid) returns app_public.payments
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_booking app_public.bookings := app_hidden.own_booking_for_update(booking_id);
  v_payment app_public.payments;
begin
  if app_public.bookings_current_status(v_booking) <> 'held' then
    perform app_hidden.raise_error('BXBST', 'Only a live hold can be paid.',
      jsonb_build_object('status', app_public.bookings_current_status(v_booking), 'expiresAt', v_booking.expires_at));
  end if;
  -- Calling twice returns the open attempt instead of starting a second one.
  select p.* into v_payment from app_public.payments p where p.booking_id = v_booking.id and p.status = 'pending';
  if found then
    return v_payment;
  end if;
  insert into app_public.payments (booking_id, provider, amount, currency, expires_at)
  values (v_booking.id, coalesce(nullif(current_setting('boxoffice.payment_provider', true), ''), 'dev'),
          v_booking.total_amount, v_booking.currency, v_booking.expires_at)
  returning * into v_payment;
  -- If no webhook ever tells us how this attempt ended, this job asks the provider (lost webhooks).
  -- A direct add_job is fine here: checkouts are bounded by the provider's API rate, not a hot path.
  perform graphile_worker.add_job('payments__follow_up', json_build_object('paymentId', v_payment.id),
    run_at := v_payment.expires_at + interval '10 minutes', job_key := 'payments__follow_up:' || v_payment.id);
  return v_payment;
end;
$$;
comment on function app_public.start_checkout(uuid) is 'Starts (or returns the open) payment attempt for the signed-in user''s held booking.';
grant execute on function app_public.start_checkout(uuid) to boxoffice_visitor;

-- The provider says this payment succeeded: record it and confirm the booking. Idempotent: a second
-- report of the same payment changes nothing. Money that cannot buy its tickets (late payment that
-- lost them, a released booking, a second payment for a confirmed booking) is refunded: a refund row
-- is queued in this same transaction, so paid money never ends without a ticket or a refund.
create or replace function app_private.record_payment_succeeded(payment_id uuid) returns app_public.bookings
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_payment app_public.payments;
  v_before text;
  v_booking app_public.bookings;
  v_reason text;
begin
  -- Booking first, then payment: the order cancel_booking locks them in, so the two cannot deadlock.
  select b.status into v_before from app_public.bookings b
   where b.id = (select p.booking_id from app_public.payments p where p.id = record_payment_succeeded.payment_id)
     for update;
  select p.* into v_payment from app_public.payments p where p.id = record_payment_succeeded.payment_id for update;
  if not found then
    perform app_hidden.raise_error('BXPNF', 'No such payment.', jsonb_build_object('paymentId', payment_id));
  end if;
  if v_payment.status = 'paid' then
    select b.* into v_booking from app_public.bookings b where b.id = v_payment.booking_id;
    return v_booking;
  end if;
  update app_public.payments p set status = 'paid', paid_at = now() where p.id = v_payment.id;
  v_booking := app_hidden.confirm_paid_booking(v_payment.booking_id);
  if v_booking.status = 'confirmed' and v_before = 'confirmed' then
    v_reason := 'duplicate_payment';
  elsif v_booking.status = 'cancelled' then
    v_reason := 'booking_cancelled';
  elsif v_booking.status = 'refunded' then
    v_reason := 'duplicate_payment';
  elsif v_booking.status = 'expired' then
    v_reason := v_booking.ended_reason;
  end if;
  if v_reason is not null then
    perform app_hidden.queue_refund(v_payment.id, v_payment.amount, v_reason);
  end if;
  return v_booking;
end;
$$;
grant execute on function app_private.record_payment_succeeded(uuid) to boxoffice_authenticator;

-- A failed or expired attempt only ends a pending one: a stale report never moves a paid payment back.
create or replace function app_private.record_payment_ended(payment_id uuid, status text) returns app_public.payments
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_payment app_public.payments;
begin
  if status not in ('failed', 'expired') then
    raise exception 'record_payment_ended: status must be failed or expired, not %', status using errcode = '22023';
  end if;
  update app_public.payments p set status = record_payment_ended.status
   where p.id = record_payment_ended.payment_id and p.status = 'pending'
  returning * into v_payment;
  if not found then
    select p.* into v_payment from app_public.payments p where p.id = record_payment_ended.payment_id;
  end if;
  return v_payment;
end;
$$;
grant execute on function app_private.record_payment_ended(uuid, text) to boxoffice_authenticator;

-- The provider's ids of a payment: its checkout session (and URL) and, once paid, the money movement.
create or replace function app_private.set_payment_refs(payment_id uuid, provider_ref text default null,
                                                        checkout_url text default null, provider_payment_ref text default null)
  returns void
  language sql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_private.payment_secrets (payment_id, provider_ref, checkout_url, provider_payment_ref)
  values (set_payment_refs.payment_id, set_payment_refs.provider_ref, set_payment_refs.checkout_url, set_payment_refs.provider_payment_ref)
  on conflict (payment_id) do update
     set provider_ref = coalesce(excluded.provider_ref, app_private.payment_secrets.provider_ref),
         checkout_url = coalesce(excluded.checkout_url, app_private.payment_secrets.checkout_url),
         provider_payment_ref = coalesce(excluded.provider_payment_ref, app_private.payment_secrets.provider_payment_ref);
$$;
grant execute on function app_private.set_payment_refs(uuid, text, text, text) to boxoffice_authenticator;

-- Everything the server and worker need to talk to the provider about one payment.
create or replace function app_private.payment_info(payment_id uuid)
  returns table (id uuid, booking_id uuid, provider text, status text, amount int, currency char(3), expires_at timestamptz,
                 created_at timestamptz, provider_ref text, checkout_url text, provider_payment_ref text, event_title text, buyer_email citext)
  language sql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  select p.id, p.booking_id, p.provider, p.status, p.amount, p.currency, p.expires_at, p.created_at,
         s.provider_ref, s.checkout_url, s.provider_payment_ref, e.title, u.email
    from app_public.payments p
    join app_public.bookings b on b.id = p.booking_id
    join app_public.events e on e.id = b.event_id
    join app_public.users u on u.id = b.user_id
    left join app_private.payment_secrets s on s.payment_id = p.id
   where p.id = payment_info.payment_id;
$$;
grant execute on function app_private.payment_info(uuid) to boxoffice_authenticator;

-- Line items of a checkout: one per price tier of the booking's tickets.
create or replace function app_private.checkout_line_items(payment_id uuid)
  returns table (name text, unit_amount int, quantity int)
  language sql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  select e.title || ' - ' || pt.name, c.amount, count(*)::int
    from app_public.payments p
    join app_public.booking_tickets c on c.booking_id = p.booking_id
    join app_public.tickets t on t.event_id = c.event_id and t.id = c.ticket_id
    join app_public.price_tiers pt on pt.event_id = t.event_id and pt.id = t.price_tier_id
    join app_public.events e on e.id = c.event_id
   where p.id = checkout_line_items.payment_id
   group by e.title, pt.name, c.amount
   order by 1, 2;
$$;
grant execute on function app_private.checkout_line_items(uuid) to boxoffice_authenticator;

create or replace function app_private.payment_for_provider_ref(provider_ref text) returns uuid
  language sql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  select s.payment_id from app_private.payment_secrets s where s.provider_ref = payment_for_provider_ref.provider_ref;
$$;
grant execute on function app_private.payment_for_provider_ref(text) to boxoffice_authenticator;

-- Stores a provider event id once; false when it was seen before (then nothing else may happen).
create or replace function app_private.record_webhook_event(id text, provider text, type text, payload jsonb) returns boolean
  language sql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  with inserted as (
    insert into app_private.webhook_events (id, provider, type, payload)
    values (record_webhook_event.id, record_webhook_event.provider, record_webhook_event.type, record_webhook_event.payload)
    on conflict do nothing returning 1)
  select exists (select 1 from inserted);
$$;
grant execute on function app_private.record_webhook_event(text, text, text, jsonb) to boxoffice_authenticator;

/*
 * Refunds. One row per refund; the payments__refund job sends it to the provider with the row id as
 * idempotency key, so no retry can pay out twice.
 */
create or replace function app_hidden.queue_refund(payment_id uuid, amount int, reason text) returns uuid
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  v_id uuid;
begin
  if amount <= 0 then
    return null;
  end if;
  insert into app_public.refunds (payment_id, booking_id, amount, currency, reason)
  select p.id, p.booking_id, queue_refund.amount, p.currency, queue_refund.reason
    from app_public.payments p where p.id = queue_refund.payment_id
  on conflict (payment_id) where reason <> 'requested' do nothing
  returning id into v_id;
  if v_id is not null then
    insert into app_private.outbox (task, payload, job_key)
    values ('payments__refund', jsonb_build_object('refundId', v_id), 'payments__refund:' || v_id);
  end if;
  return v_id;
end;
$$;

-- What of a payment is still refundable: paid, less every refund that has not failed.
create or replace function app_hidden.payment_refundable(payment_id uuid) returns int
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select p.amount - coalesce((select sum(r.amount) from app_public.refunds r
                               where r.payment_id = p.id and r.status <> 'failed'), 0)::int
    from app_public.payments p where p.id = payment_refundable.payment_id;
$$;

-- An operator's refund, full or partial; never more than what was paid and not yet refunded.
create or replace function app_private.request_refund(payment_id uuid, amount int) returns uuid
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_payment app_public.payments;
  v_left int;
  v_id uuid;
begin
  select p.* into v_payment from app_public.payments p where p.id = request_refund.payment_id for update;
  if not found then
    perform app_hidden.raise_error('BXPNF', 'No such payment.', jsonb_build_object('paymentId', payment_id));
  end if;
  v_left := app_hidden.payment_refundable(v_payment.id);
  if v_payment.status <> 'paid' or amount <= 0 or amount > v_left then
    perform app_hidden.raise_error('BXRFD', 'A refund must be positive and at most what was paid and not yet refunded.',
      jsonb_build_object('paymentStatus', v_payment.status, 'refundable', greatest(v_left, 0), 'requested', amount));
  end if;
  insert into app_public.refunds (payment_id, booking_id, amount, currency, reason)
  values (v_payment.id, v_payment.booking_id, amount, v_payment.currency, 'requested') returning id into v_id;
  insert into app_private.outbox (task, payload, job_key)
  values ('payments__refund', jsonb_build_object('refundId', v_id), 'payments__refund:' || v_id);
  return v_id;
end;
$$;
comment on function app_private.request_refund(uuid, int) is 'Queues a full or partial refund of a paid payment (operators; no API role yet).';

-- The provider's answer about a refund (from the refund job or a webhook). Only a pending refund
-- moves; a succeeded one stays succeeded whatever arrives later. A booking whose payment is fully
-- refunded is no longer valid: it becomes refunded and its tickets are free again. Returns the
-- refund's status.
create or replace function app_private.record_refund_result(refund_id uuid, status text, provider_ref text default null)
  returns text
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  v_now timestamptz := now();
  v_refund app_public.refunds;
  v_paid int;
begin
  select r.* into v_refund from app_public.refunds r where r.id = record_refund_result.refund_id for update;
  if not found then
    return null;
  end if;
  if provider_ref is not null then
    insert into app_private.refund_secrets (refund_id, provider_ref) values (v_refund.id, record_refund_result.provider_ref)
    on conflict (refund_id) do update set provider_ref = excluded.provider_ref;
  end if;
  if v_refund.status <> 'pending' or status not in ('succeeded', 'failed') then
    return v_refund.status;
  end if;
  update app_public.refunds r set status = record_refund_result.status,
         succeeded_at = case when record_refund_result.status = 'succeeded' then v_now end
   where r.id = v_refund.id returning * into v_refund;
  if v_refund.status = 'succeeded' then
    perform app_hidden.queue_email(v_refund.booking_id, 'payment_refunded', v_refund.id::text);
    select p.amount into v_paid from app_public.payments p where p.id = v_refund.payment_id;
    if (select sum(r.amount) from app_public.refunds r where r.payment_id = v_refund.payment_id and r.status = 'succeeded') >= v_paid
       and exists (select 1 from app_public.bookings b where b.id = v_refund.booking_id and b.status = 'confirmed'
                     and not exists (select 1 from app_public.payments o where o.booking_id = b.id and o.status = 'paid'
                                        and o.id <> v_refund.payment_id)) then
      update app_public.booking_tickets c set claimed = tstzrange(lower(c.claimed), greatest(lower(c.claimed), v_now) + interval '1 microsecond')
       where c.booking_id = v_refund.booking_id and upper_inf(c.claimed);
      update app_public.bookings b set status = 'refunded', ended_at = v_now where b.id = v_refund.booking_id;
    end if;
  end if;
  return v_refund.status;
end;
$$;
grant execute on function app_private.record_refund_result(uuid, text, text) to boxoffice_authenticator;

create or replace function app_private.refund_for_provider_ref(provider_ref text) returns uuid
  language sql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  select s.refund_id from app_private.refund_secrets s where s.provider_ref = refund_for_provider_ref.provider_ref;
$$;
grant execute on function app_private.refund_for_provider_ref(text) to boxoffice_authenticator;

-- What a provider's checkout page shows about a payment (the dev provider's page; no user signed in).
create or replace function app_private.checkout_summary(payment_id uuid)
  returns table (status text, amount int, currency char(3), event_title text)
  language sql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  select p.status, p.amount, p.currency, e.title
    from app_public.payments p
    join app_public.bookings b on b.id = p.booking_id
    join app_public.events e on e.id = b.event_id
   where p.id = checkout_summary.payment_id;
$$;
grant execute on function app_private.checkout_summary(uuid) to boxoffice_authenticator;
