-- Every rule of a booking: hold, release, confirm, expire.
--
-- Holds claim tickets in app_public.booking_tickets for [now, expires_at). The exclusion constraint
-- booking_tickets_no_double_claim forbids overlapping claims on one ticket, so an expired hold stops
-- blocking by itself; the functions below lock ticket rows first so that contention queues cleanly,
-- and treat the constraint as the last line of defence. Holds and cancels enqueue no job (see
-- DESIGN.md, "Hot paths enqueue no jobs").

-- A ticket's state at a moment, for listings and counts: sold (a claim without end), held (a claim
-- that ends later) or available.
create or replace function app_hidden.ticket_state(event_id uuid, ticket_id uuid, at timestamptz default now())
  returns text
  language sql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(
    (select case when upper_inf(c.claimed) then 'sold' else 'held' end
       from app_public.booking_tickets c
      where c.event_id = ticket_state.event_id and c.ticket_id = ticket_state.ticket_id
        and c.claimed && tstzrange(ticket_state.at, 'infinity')
      order by upper_inf(c.claimed) desc
      limit 1),
    'available');
$$;
grant execute on function app_hidden.ticket_state(uuid, uuid, timestamptz) to boxoffice_visitor;

create or replace function app_public.tickets_status(t app_public.tickets) returns text
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select app_hidden.ticket_state(t.event_id, t.id);
$$;
comment on function app_public.tickets_status(app_public.tickets) is 'available, held or sold, right now.';
grant execute on function app_public.tickets_status(app_public.tickets) to boxoffice_visitor;

drop type if exists app_public.availability cascade;
create type app_public.availability as (available int, held int, sold int, total int);
comment on type app_public.availability is 'How many tickets of an event are available, held and sold.';

create or replace function app_public.events_availability(e app_public.events) returns app_public.availability
  language sql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  with claims as (
    select count(*) filter (where not upper_inf(c.claimed))::int as held,
           count(*) filter (where upper_inf(c.claimed))::int as sold
      from app_public.booking_tickets c
     where c.event_id = e.id and c.claimed && tstzrange(now(), 'infinity')
  ), inventory as (
    select count(*)::int as total from app_public.tickets t where t.event_id = e.id
  )
  select (inventory.total - claims.held - claims.sold, claims.held, claims.sold, inventory.total)::app_public.availability
    from claims, inventory;
$$;
comment on function app_public.events_availability(app_public.events) is 'Ticket counts of the event right now.';
grant execute on function app_public.events_availability(app_public.events) to boxoffice_visitor;

-- Why an event cannot be bought now, or null when it can.
create or replace function app_hidden.event_not_on_sale_reason(e app_public.events, at timestamptz)
  returns text
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select case
    when e.status = 'cancelled' then 'cancelled'
    when e.status = 'postponed' then 'postponed'
    when e.status <> 'published' then 'not_published'
    when e.starts_at <= at then 'event_started'
    when e.sale_starts_at is not null and at < e.sale_starts_at then 'sale_not_started'
    when e.sale_ends_at is not null and at >= e.sale_ends_at then 'sale_ended'
  end;
$$;
grant execute on function app_hidden.event_not_on_sale_reason(app_public.events, timestamptz) to boxoffice_visitor;

create or replace function app_public.events_on_sale(e app_public.events) returns boolean
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select app_hidden.event_not_on_sale_reason(e, now()) is null;
$$;
comment on function app_public.events_on_sale(app_public.events) is 'True when tickets of the event can be held right now.';
grant execute on function app_public.events_on_sale(app_public.events) to boxoffice_visitor;

/*
 * create_booking: hold specific tickets (ticket_ids) or a quantity of a price tier (best available
 * seats, or general admission places).
 */
create or replace function app_public.create_booking(
  event_id uuid,
  ticket_ids uuid[] default null,
  price_tier_id uuid default null,
  quantity int default null,
  idempotency_key text default null
) returns app_public.bookings
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_user_id uuid := app_public.current_user_id();
  v_now timestamptz := now();
  v_event app_public.events;
  v_booking app_public.bookings;
  v_reason text;
  v_wanted int;
  v_already int;
  v_request_hash text;
  v_ticket_ids uuid[];
  v_found uuid[];
  v_taken uuid[];
  v_batch uuid[];
  v_rejected uuid[];
begin
  if v_user_id is null then
    perform app_hidden.raise_error('BXAUT', 'Sign in to hold tickets.');
  end if;

  if (ticket_ids is null) = (price_tier_id is null) then
    perform app_hidden.raise_error('BXINP', 'Give either ticketIds, or priceTierId with quantity.',
      jsonb_build_object('field', 'ticketIds'));
  end if;
  if ticket_ids is not null then
    if quantity is not null then
      perform app_hidden.raise_error('BXINP', 'quantity goes with priceTierId, not with ticketIds.',
        jsonb_build_object('field', 'quantity'));
    end if;
    if cardinality(ticket_ids) = 0 or array_position(ticket_ids, null) is not null then
      perform app_hidden.raise_error('BXINP', 'ticketIds must list at least one ticket id.',
        jsonb_build_object('field', 'ticketIds'));
    end if;
    select array_agg(distinct t order by t) into v_ticket_ids from unnest(ticket_ids) t;
    if cardinality(v_ticket_ids) <> cardinality(ticket_ids) then
      perform app_hidden.raise_error('BXINP', 'ticketIds lists a ticket twice.', jsonb_build_object('field', 'ticketIds'));
    end if;
    v_wanted := cardinality(v_ticket_ids);
  else
    if quantity is null or quantity < 1 then
      perform app_hidden.raise_error('BXINP', 'quantity must be a whole number of at least 1.',
        jsonb_build_object('field', 'quantity'));
    end if;
    v_wanted := quantity;
  end if;

  v_request_hash := md5(concat_ws('|', event_id, array_to_string(v_ticket_ids, ','), price_tier_id, quantity));

  -- One request at a time per user and key, then per user and event: makes the idempotency key and
  -- the per-user limit exact under concurrency without locking anybody else. Always in this order.
  if idempotency_key is not null then
    if char_length(idempotency_key) not between 1 and 255 then
      perform app_hidden.raise_error('BXINP', 'Idempotency-Key must be 1 to 255 characters.',
        jsonb_build_object('field', 'idempotencyKey'));
    end if;
    perform pg_advisory_xact_lock(hashtextextended('idempotency:' || v_user_id::text || ':' || idempotency_key, 0));
    select b.* into v_booking
      from app_private.booking_idempotency_keys k join app_public.bookings b on b.id = k.booking_id
     where k.user_id = v_user_id and k.key = idempotency_key;
    if found then
      if (select k.request_hash from app_private.booking_idempotency_keys k
           where k.user_id = v_user_id and k.key = idempotency_key) <> v_request_hash then
        perform app_hidden.raise_error('BXIDK', 'This Idempotency-Key was used for a different request.');
      end if;
      return v_booking;
    end if;
  end if;
  perform pg_advisory_xact_lock(hashtextextended('booking:' || v_user_id::text || ':' || create_booking.event_id::text, 0));

  select e.* into v_event from app_public.events e where e.id = create_booking.event_id for share;
  if not found or v_event.status = 'draft' then
    perform app_hidden.raise_error('BXEVN', 'No such event.', jsonb_build_object('eventId', event_id));
  end if;
  v_reason := app_hidden.event_not_on_sale_reason(v_event, v_now);
  if v_reason is not null then
    perform app_hidden.raise_error('BXNOS', 'Tickets for this event are not on sale.',
      jsonb_build_object('reason', v_reason, 'saleStartsAt', v_event.sale_starts_at, 'saleEndsAt', v_event.sale_ends_at));
  end if;
  if v_event.queue_enabled then
    perform app_hidden.raise_error('BXQUE', 'This on-sale goes through the waiting room; join the queue first.');
  end if;

  select coalesce(count(*), 0) into v_already
    from app_public.bookings b join app_public.booking_tickets c on c.booking_id = b.id
   where b.user_id = v_user_id and b.event_id = v_event.id
     and b.status in ('held', 'confirmed') and c.claimed && tstzrange(v_now, 'infinity');
  if v_already + v_wanted > v_event.max_tickets_per_user then
    perform app_hidden.raise_error('BXLIM', format('At most %s tickets per person for this event.', v_event.max_tickets_per_user),
      jsonb_build_object('limit', v_event.max_tickets_per_user, 'alreadyHeld', v_already, 'requested', v_wanted));
  end if;

  if v_ticket_ids is not null then
    -- Lock in id order so that overlapping requests queue instead of deadlocking.
    select array_agg(t.id order by t.id) into v_found from (
      select t.id from app_public.tickets t
       where t.event_id = v_event.id and t.id = any (v_ticket_ids)
       order by t.id
         for update
    ) t;
    if v_found is null or cardinality(v_found) <> v_wanted then
      perform app_hidden.raise_error('BXTNF', 'Some tickets do not exist or belong to another event.',
        jsonb_build_object('ticketIds', (select coalesce(jsonb_agg(x), '[]') from unnest(v_ticket_ids) x
                                          where x <> all (coalesce(v_found, '{}')))));
    end if;
    select array_agg(distinct c.ticket_id) into v_taken
      from app_public.booking_tickets c
     where c.event_id = v_event.id and c.ticket_id = any (v_ticket_ids)
       and c.claimed && tstzrange(v_now, 'infinity');
    if v_taken is not null then
      perform app_hidden.raise_error('BXTKU', 'Some of these tickets are no longer available.',
        jsonb_build_object('ticketIds', to_jsonb(v_taken)));
    end if;
  else
    if not exists (select 1 from app_public.price_tiers p where p.id = price_tier_id and p.event_id = v_event.id) then
      perform app_hidden.raise_error('BXPTN', 'No such price tier for this event.',
        jsonb_build_object('priceTierId', price_tier_id));
    end if;
    -- Best available: the first free tickets in layout order, skipping rows another hold is locking.
    -- A row can look free in this statement's snapshot yet have been claimed by a hold that committed
    -- since; each pass re-checks its picks with a fresh snapshot and looks further for the rest.
    v_ticket_ids := '{}';
    v_rejected := '{}';
    loop
      select array_agg(t.id) into v_batch from (
        select t.id from app_public.tickets t
         where t.event_id = v_event.id and t.price_tier_id = create_booking.price_tier_id
           and t.id <> all (v_ticket_ids) and t.id <> all (v_rejected)
           and not exists (select 1 from app_public.booking_tickets c
                            where c.event_id = t.event_id and c.ticket_id = t.id
                              and c.claimed && tstzrange(v_now, 'infinity'))
         order by t.position
         limit v_wanted - cardinality(v_ticket_ids)
           for update skip locked
      ) t;
      exit when v_batch is null;
      select array_agg(x) into v_taken from unnest(v_batch) x
       where exists (select 1 from app_public.booking_tickets c
                      where c.event_id = v_event.id and c.ticket_id = x and c.claimed && tstzrange(v_now, 'infinity'));
      v_ticket_ids := v_ticket_ids || array(select x from unnest(v_batch) x where x <> all (coalesce(v_taken, '{}')));
      v_rejected := v_rejected || coalesce(v_taken, '{}');
      exit when cardinality(v_ticket_ids) >= v_wanted;
    end loop;
    if cardinality(v_ticket_ids) < v_wanted then
      perform app_hidden.raise_error('BXSLD', 'Not enough tickets left at this price.',
        jsonb_build_object('requested', v_wanted, 'available', cardinality(v_ticket_ids)));
    end if;
  end if;

  insert into app_public.bookings (event_id, user_id, status, total_amount, currency, created_at, expires_at)
  select v_event.id, v_user_id, 'held', sum(p.amount), v_event.currency, v_now,
         v_now + make_interval(secs => v_event.hold_seconds)
    from app_public.tickets t join app_public.price_tiers p on p.id = t.price_tier_id
   where t.event_id = v_event.id and t.id = any (v_ticket_ids)
  returning * into v_booking;

  begin
    insert into app_public.booking_tickets (booking_id, event_id, ticket_id, amount, claimed)
    select v_booking.id, t.event_id, t.id, p.amount, tstzrange(v_now, v_booking.expires_at)
      from app_public.tickets t join app_public.price_tiers p on p.id = t.price_tier_id
     where t.event_id = v_event.id and t.id = any (v_ticket_ids);
  exception when exclusion_violation then
    -- Only reachable if a claim slipped past the locks above; the constraint still says no.
    perform app_hidden.raise_error('BXTKU', 'Some of these tickets are no longer available.',
      jsonb_build_object('ticketIds', to_jsonb(v_ticket_ids)));
  end;

  if idempotency_key is not null then
    insert into app_private.booking_idempotency_keys (user_id, key, booking_id, request_hash)
    values (v_user_id, idempotency_key, v_booking.id, v_request_hash);
  end if;

  return v_booking;
end;
$$;
comment on function app_public.create_booking(uuid, uuid[], uuid, int, text) is
  'Holds tickets for the signed-in user for the event''s hold time: either the listed tickets, or quantity tickets of a price tier (best available first). A repeated idempotencyKey returns the first booking.';
grant execute on function app_public.create_booking(uuid, uuid[], uuid, int, text) to boxoffice_visitor;

-- The signed-in user's booking, locked; raises BOOKING_NOT_FOUND for anyone else's.
create or replace function app_hidden.own_booking_for_update(booking_id uuid) returns app_public.bookings
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_booking app_public.bookings;
begin
  if app_public.current_user_id() is null then
    perform app_hidden.raise_error('BXAUT', 'Sign in to manage bookings.');
  end if;
  select b.* into v_booking from app_public.bookings b
   where b.id = own_booking_for_update.booking_id and b.user_id = app_public.current_user_id()
     for update;
  if not found then
    perform app_hidden.raise_error('BXBNF', 'No such booking.', jsonb_build_object('bookingId', booking_id));
  end if;
  return v_booking;
end;
$$;

-- A hold past its expiry is expired, whether or not the sweep has recorded it yet.
create or replace function app_public.bookings_current_status(b app_public.bookings) returns text
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select case when b.status = 'held' and b.expires_at <= now() then 'expired' else b.status end;
$$;
comment on function app_public.bookings_current_status(app_public.bookings) is
  'The booking''s status right now: like status, but a hold past its expiry is already expired.';
grant execute on function app_public.bookings_current_status(app_public.bookings) to boxoffice_visitor;

/*
 * cancel_booking: the buyer releases a hold. Idempotent: an ended booking is returned as it is.
 */
create or replace function app_public.cancel_booking(booking_id uuid) returns app_public.bookings
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_now timestamptz := now();
  v_booking app_public.bookings := app_hidden.own_booking_for_update(booking_id);
begin
  if v_booking.status = 'confirmed' then
    perform app_hidden.raise_error('BXBST', 'A confirmed booking cannot be released; ask for a refund instead.',
      jsonb_build_object('status', v_booking.status));
  end if;
  if v_booking.status <> 'held' then
    return v_booking;
  end if;
  if v_booking.expires_at <= v_now then
    -- The hold already ran out; record that rather than a cancellation.
    update app_public.bookings b set status = 'expired', ended_reason = 'hold_expired', ended_at = b.expires_at
     where b.id = v_booking.id returning * into v_booking;
    return v_booking;
  end if;
  update app_public.booking_tickets c set claimed = tstzrange(lower(c.claimed), v_now)
   where c.booking_id = v_booking.id and upper(c.claimed) > v_now;
  -- The checkout page must stop offering to take money for tickets the buyer gave back; the
  -- provider's session is closed by a job, written here as an outbox row (no NOTIFY on this path).
  with closed as (
    update app_public.payments p set status = 'expired' where p.booking_id = v_booking.id and p.status = 'pending'
    returning p.id, p.provider)
  insert into app_private.outbox (task, payload, job_key)
  select 'payments__expire_session', jsonb_build_object('paymentId', closed.id), 'payments__expire_session:' || closed.id
    from closed where closed.provider <> 'dev';
  update app_public.bookings b set status = 'cancelled', ended_reason = 'cancelled_by_user', ended_at = v_now
   where b.id = v_booking.id returning * into v_booking;
  return v_booking;
end;
$$;
comment on function app_public.cancel_booking(uuid) is 'Releases a held booking of the signed-in user at once; its tickets are free again.';
grant execute on function app_public.cancel_booking(uuid) to boxoffice_visitor;

/*
 * Confirmation after a verified payment. A hold that ran out is still confirmed when its tickets are
 * free and a new hold would be allowed (event still on, per-person limit kept); otherwise the booking
 * ends as expired with the reason (tickets_taken, sale_closed, limit_reached) and is returned so that
 * the caller can say so (and, with payments, refund).
 */
create or replace function app_hidden.confirm_paid_booking(booking_id uuid) returns app_public.bookings
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_now timestamptz := now();
  v_booking app_public.bookings;
  v_event app_public.events;
  v_lost text;
begin
  select b.* into v_booking from app_public.bookings b where b.id = confirm_paid_booking.booking_id for update;
  if not found then
    perform app_hidden.raise_error('BXBNF', 'No such booking.', jsonb_build_object('bookingId', booking_id));
  end if;
  -- Ended for good: confirmed, refunded, lost its tickets, or released by the buyer (who meant it).
  -- A payment arriving then is still recorded by the caller; the money is owed back, not a ticket.
  if v_booking.status in ('confirmed', 'refunded', 'cancelled')
     or (v_booking.status = 'expired' and v_booking.ended_reason <> 'hold_expired') then
    return v_booking;
  end if;

  -- The same per user and event lock as create_booking, taken before any ticket lock as there, so a
  -- late confirmation and a new hold of the same buyer neither deadlock nor both pass the limit.
  perform pg_advisory_xact_lock(hashtextextended('booking:' || v_booking.user_id::text || ':' || v_booking.event_id::text, 0));
  perform 1 from app_public.tickets t
   where (t.event_id, t.id) in (select c.event_id, c.ticket_id from app_public.booking_tickets c
                                 where c.booking_id = v_booking.id)
   order by t.id
     for update;

  if exists (select 1 from app_public.booking_tickets mine
               join app_public.booking_tickets other
                 on other.event_id = mine.event_id and other.ticket_id = mine.ticket_id
                and other.booking_id <> mine.booking_id
              where mine.booking_id = v_booking.id
                and other.claimed && tstzrange(v_now, 'infinity')) then
    v_lost := 'tickets_taken';
  elsif v_booking.expires_at <= v_now then
    -- A late payment re-enters the sale: the rules a new hold would meet must still hold.
    select e.* into v_event from app_public.events e where e.id = v_booking.event_id;
    if v_event.status <> 'published' or v_event.starts_at <= v_now then
      v_lost := 'sale_closed';
    elsif (select count(*) from app_public.bookings b join app_public.booking_tickets c on c.booking_id = b.id
            where b.user_id = v_booking.user_id and b.event_id = v_event.id and b.id <> v_booking.id
              and b.status in ('held', 'confirmed') and c.claimed && tstzrange(v_now, 'infinity'))
          + (select count(*) from app_public.booking_tickets c where c.booking_id = v_booking.id)
          > v_event.max_tickets_per_user then
      v_lost := 'limit_reached';
    end if;
  end if;
  if v_lost is not null then
    update app_public.bookings b
       set status = 'expired', ended_reason = v_lost, ended_at = coalesce(b.ended_at, v_now)
     where b.id = v_booking.id returning * into v_booking;
    return v_booking;
  end if;

  -- From now on the claim has no end. Held claims are extended in place; a claim that already
  -- ended restarts now so that it never overlaps a claim someone else had in between.
  update app_public.booking_tickets c
     set claimed = case when upper(c.claimed) > v_now then tstzrange(lower(c.claimed), null)
                        else tstzrange(v_now, null) end
   where c.booking_id = v_booking.id;
  update app_public.bookings b
     set status = 'confirmed', confirmed_at = v_now, ended_reason = null, ended_at = null
   where b.id = v_booking.id returning * into v_booking;
  -- In the same transaction: the e-tickets mail is owed exactly once (unique per booking and kind).
  perform app_hidden.queue_email(v_booking.id, 'booking_confirmed');
  return v_booking;
end;
$$;

create or replace function app_public.confirm_booking(booking_id uuid) returns app_public.bookings
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_booking app_public.bookings := app_hidden.own_booking_for_update(booking_id);
begin
  if v_booking.status in ('confirmed', 'refunded') then
    return v_booking;
  end if;
  if v_booking.status = 'cancelled' then
    perform app_hidden.raise_error('BXBST', 'This booking was released.', jsonb_build_object('status', v_booking.status));
  end if;
  if not exists (select 1 from app_public.payments p where p.booking_id = v_booking.id and p.status = 'paid') then
    perform app_hidden.raise_error('BXPAY', 'This booking has not been paid.', jsonb_build_object('status', v_booking.status));
  end if;
  return app_hidden.confirm_paid_booking(v_booking.id);
end;
$$;
comment on function app_public.confirm_booking(uuid) is 'Confirms the signed-in user''s booking once its payment has succeeded; a no-op when already confirmed.';
grant execute on function app_public.confirm_booking(uuid) to boxoffice_visitor;

/*
 * The sweep: marks holds past their expiry as expired, in batches. Tickets were already free at
 * expires_at; this records it and finds the follow-up work: a hold whose checkout had started gets
 * its payment closed, its provider session expired (a job) and a "hold expired" mail. The jobs are
 * added with one add_jobs call per batch (one NOTIFY), never from the hold path itself.
 */
create or replace function app_private.expire_bookings(at timestamptz default now(), batch_size int default 1000)
  returns int
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_ids uuid[];
  v_specs jsonb;
begin
  with due as (
    select b.id from app_public.bookings b
     where b.status = 'held' and b.expires_at <= expire_bookings.at
     order by b.expires_at
     limit batch_size
       for update skip locked
  ), expired as (
    update app_public.bookings b
       set status = 'expired', ended_reason = 'hold_expired', ended_at = b.expires_at
      from due where b.id = due.id
    returning b.id)
  select coalesce(array_agg(expired.id), '{}') into v_ids from expired;

  with closed as (
    update app_public.payments p set status = 'expired'
     where p.booking_id = any(v_ids) and p.status = 'pending'
    returning p.id, p.booking_id, p.provider)
  select coalesce(jsonb_agg(spec), '[]') into v_specs from (
    select jsonb_build_object('identifier', 'payments__expire_session', 'payload', jsonb_build_object('paymentId', c.id),
                              'job_key', 'payments__expire_session:' || c.id) as spec
      from closed c where c.provider <> 'dev'
    union all
    select jsonb_build_object('identifier', 'emails__send', 'payload', jsonb_build_object('emailId', m.id),
                              'job_key', 'emails__send:' || m.id)
      from closed c, lateral app_hidden.insert_email(c.booking_id, 'hold_expired') m
  ) s;
  perform app_hidden.add_jobs(v_specs);
  return cardinality(v_ids);
end;
$$;
comment on function app_private.expire_bookings(timestamptz, int) is 'Marks up to batch_size holds whose expiry is before at as expired, and enqueues their follow-up work; returns how many.';
