-- Payment attempts. The provider is chosen by the server's configuration (setting
-- boxoffice.payment_provider); money only ever moves a booking forward through
-- app_private.record_payment_succeeded, which the provider's verified callback calls.

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
  return v_payment;
end;
$$;
comment on function app_public.start_checkout(uuid) is 'Starts (or returns the open) payment attempt for the signed-in user''s held booking.';
grant execute on function app_public.start_checkout(uuid) to boxoffice_visitor;

-- The provider says this payment succeeded: record it and confirm the booking. Idempotent.
create or replace function app_private.record_payment_succeeded(payment_id uuid) returns app_public.bookings
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_payment app_public.payments;
begin
  select p.* into v_payment from app_public.payments p where p.id = record_payment_succeeded.payment_id for update;
  if not found then
    perform app_hidden.raise_error('BXPNF', 'No such payment.', jsonb_build_object('paymentId', payment_id));
  end if;
  if v_payment.status <> 'paid' then
    update app_public.payments p set status = 'paid', paid_at = now() where p.id = v_payment.id;
  end if;
  return app_hidden.confirm_paid_booking(v_payment.booking_id);
end;
$$;
grant execute on function app_private.record_payment_succeeded(uuid) to boxoffice_authenticator;

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
