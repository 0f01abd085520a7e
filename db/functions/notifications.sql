-- Mail owed to buyers, the outbox that turns follow-up work into jobs in batches, and check-in.
-- Called by the booking and payment functions and by the worker; nothing here is granted to visitors.

-- These functions name tables that a pending migration may still be creating when graphile-migrate
-- applies this file (it runs after the committed migrations, before current.sql): check bodies at
-- first call, as pg_dump does.
set check_function_bodies to off;

-- Records that a mail is owed; returns its id only when this call created it (so a repeat queues
-- nothing). The unique (booking_id, kind, variant) key is the exactly-once rule.
create or replace function app_hidden.insert_email(booking_id uuid, kind text, variant text default '')
  returns table (id uuid)
  language sql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_private.emails (booking_id, kind, variant, recipient)
  select b.id, insert_email.kind, insert_email.variant, u.email
    from app_public.bookings b join app_public.users u on u.id = b.user_id
   where b.id = insert_email.booking_id
  on conflict do nothing
  returning app_private.emails.id;
$$;

-- The same, plus an outbox row so that the emails__send job follows once this transaction commits.
create or replace function app_hidden.queue_email(booking_id uuid, kind text, variant text default '')
  returns void
  language sql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_private.outbox (task, payload, job_key)
  select 'emails__send', jsonb_build_object('emailId', m.id), 'emails__send:' || m.id
    from app_hidden.insert_email(queue_email.booking_id, queue_email.kind, queue_email.variant) m;
$$;

-- graphile_worker.add_jobs from a JSON array of job specs ({identifier, payload, run_at, job_key}); one
-- call, one NOTIFY. Takes JSON so that these functions can be created before graphile-worker's schema.
create or replace function app_hidden.add_jobs(specs jsonb) returns void
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if jsonb_array_length(specs) > 0 then
    perform graphile_worker.add_jobs(array(select jsonb_populate_record(null::graphile_worker.job_spec, x)
                                             from jsonb_array_elements(specs) x));
  end if;
end;
$$;

-- Moves up to batch_size outbox rows into graphile-worker with one add_jobs call (one NOTIFY).
-- Concurrent drains skip each other's rows. Returns how many were moved.
create or replace function app_private.drain_outbox(batch_size int default 500) returns int
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_specs jsonb;
begin
  with taken as (
    delete from app_private.outbox o
     where o.id in (select x.id from app_private.outbox x order by x.id limit batch_size for update skip locked)
    returning o.*)
  select coalesce(jsonb_agg(jsonb_build_object('identifier', t.task, 'payload', t.payload, 'run_at', t.run_at, 'job_key', t.job_key)), '[]')
    into v_specs from taken t;
  perform app_hidden.add_jobs(v_specs);
  return jsonb_array_length(v_specs);
end;
$$;
comment on function app_private.drain_outbox(int) is 'Enqueues up to batch_size outbox rows as graphile-worker jobs in one call; returns how many.';

-- What a mail needs: the booking, its event and tickets, the buyer, and a refund when there is one.
create or replace function app_private.email_context(email_id uuid) returns jsonb
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select jsonb_build_object(
    'emailId', m.id, 'kind', m.kind, 'variant', m.variant, 'recipient', m.recipient, 'sentAt', m.sent_at,
    'bookingId', b.id, 'bookingStatus', b.status, 'endedReason', b.ended_reason,
    'total', jsonb_build_object('amount', b.total_amount, 'currency', b.currency),
    'buyerName', u.name,
    'event', jsonb_build_object('id', e.id, 'title', e.title, 'startsAt', e.starts_at, 'status', e.status,
                                'venue', v.name, 'city', v.city, 'timezone', v.timezone),
    'tickets', coalesce((select jsonb_agg(jsonb_build_object('id', c.ticket_id, 'section', s.section, 'row', s.row_label,
                                                            'seat', s.seat_number, 'priceTier', pt.name) order by t.position)
                           from app_public.booking_tickets c
                           join app_public.tickets t on t.event_id = c.event_id and t.id = c.ticket_id
                           join app_public.price_tiers pt on pt.event_id = t.event_id and pt.id = t.price_tier_id
                           left join app_public.seats s on s.id = t.seat_id
                          where c.booking_id = b.id), '[]'),
    'refund', (select jsonb_build_object('amount', r.amount, 'currency', r.currency, 'reason', r.reason)
                 from app_public.refunds r where r.id::text = m.variant))
    from app_private.emails m
    join app_public.bookings b on b.id = m.booking_id
    join app_public.users u on u.id = b.user_id
    join app_public.events e on e.id = b.event_id
    join app_public.venues v on v.id = e.venue_id
   where m.id = email_context.email_id;
$$;

/*
 * Check-in: the ticket code's signature is verified by the server (offline, no lookup); this admits
 * the booked ticket once. Returns 'admitted', or raises: BXTNV when the booking is not confirmed (released,
 * expired, refunded) or does not hold that ticket any more, BXCHK when it was already admitted.
 */
create or replace function app_private.check_in(booking_id uuid, ticket_id uuid)
  returns table (event_id uuid, checked_in_at timestamptz)
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_booking app_public.bookings;
  v_event_id uuid;
  v_at timestamptz;
begin
  select b.* into v_booking from app_public.bookings b where b.id = check_in.booking_id;
  select c.event_id into v_event_id from app_public.booking_tickets c
   where c.booking_id = check_in.booking_id and c.ticket_id = check_in.ticket_id
     and upper_inf(c.claimed);
  if v_booking.id is null or v_booking.status <> 'confirmed' or v_event_id is null then
    perform app_hidden.raise_error('BXTNV', 'This ticket is not valid (its booking was cancelled, refunded or never confirmed).',
      jsonb_build_object('status', coalesce(v_booking.status, 'unknown')));
  end if;
  insert into app_private.checkins (booking_id, ticket_id, event_id)
  values (check_in.booking_id, check_in.ticket_id, v_event_id)
  on conflict do nothing
  returning app_private.checkins.checked_in_at into v_at;
  if v_at is null then
    select k.checked_in_at into v_at from app_private.checkins k
     where k.booking_id = check_in.booking_id and k.ticket_id = check_in.ticket_id;
    perform app_hidden.raise_error('BXCHK', 'This ticket was already admitted.', jsonb_build_object('checkedInAt', v_at));
  end if;
  return query select v_event_id, v_at;
end;
$$;
grant execute on function app_private.check_in(uuid, uuid) to boxoffice_authenticator;

-- The dev mailer's outbox view (GET /dev/mail, development only): what it would have sent.
create or replace function app_private.dev_mail(max_rows int default 50)
  returns table (id uuid, booking_id uuid, kind text, recipient citext, subject text, text_body text, sent_at timestamptz)
  language sql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  select m.id, m.booking_id, m.kind, m.recipient, m.subject, m.text_body, m.sent_at
    from app_private.emails m
   where m.provider = 'dev' and m.sent_at is not null
   order by m.sent_at desc, m.id
   limit max_rows;
$$;
grant execute on function app_private.dev_mail(int) to boxoffice_authenticator;

/*
 * An event was rescheduled or cancelled (admins change the event; this is what they call after):
 * every confirmed booking's buyer is owed a mail, once per change (variant: the new start time for a
 * reschedule). A cancellation also refunds what each paid payment has not had refunded yet. Returns
 * how many bookings were notified.
 */
create or replace function app_private.notify_event_holders(event_id uuid, kind text) returns int
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_event app_public.events;
  v_count int := 0;
  v_booking record;
begin
  if kind not in ('event_rescheduled', 'event_cancelled') then
    raise exception 'notify_event_holders: kind must be event_rescheduled or event_cancelled, not %', kind using errcode = '22023';
  end if;
  select e.* into v_event from app_public.events e where e.id = notify_event_holders.event_id;
  for v_booking in
    select b.id from app_public.bookings b where b.event_id = notify_event_holders.event_id and b.status = 'confirmed' order by b.id
  loop
    perform app_hidden.queue_email(v_booking.id, kind,
      case when kind = 'event_rescheduled' then to_char(v_event.starts_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') else '' end);
    if kind = 'event_cancelled' then
      perform app_hidden.queue_refund(p.id, app_hidden.payment_refundable(p.id), 'event_cancelled')
         from app_public.payments p where p.booking_id = v_booking.id and p.status = 'paid';
    end if;
    v_count := v_count + 1;
  end loop;
  return v_count;
end;
$$;
comment on function app_private.notify_event_holders(uuid, text) is 'Queues the rescheduled or cancelled mail for every confirmed booking of the event (and, on cancel, their refunds); returns how many.';
