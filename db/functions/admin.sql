-- The admin lifecycle of an event: inventory, reschedule, change of venue, cancellation. Plain
-- catalogue edits (venues, seats, performers, events, price tiers) are the generated GraphQL
-- mutations, allowed by the admin policies and column grants of the migration; what follows needs a
-- rule. Each function is executable by boxoffice_admin only and re-checks the admins table, so a
-- caller that somehow had the role but is not listed is still refused.

-- app_hidden.current_user_is_admin() is defined with the admins table (migration 000002): the
-- admin write policies use it too.

create or replace function app_hidden.require_admin() returns void
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if not app_hidden.current_user_is_admin() then
    perform app_hidden.raise_error('BXADM', 'Only admins may do this.');
  end if;
end;
$$;
comment on function app_hidden.require_admin() is 'Raises BXADM unless the signed-in user is an admin.';
grant execute on function app_hidden.require_admin() to boxoffice_visitor;

-- The event, locked against concurrent holds (create_booking takes it "for share") and admin changes.
create or replace function app_hidden.event_for_admin_change(event_id uuid) returns app_public.events
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_event app_public.events;
begin
  select e.* into v_event from app_public.events e where e.id = event_for_admin_change.event_id for update;
  if not found then
    perform app_hidden.raise_error('BXEVN', 'No such event.', jsonb_build_object('eventId', event_id));
  end if;
  return v_event;
end;
$$;

-- The same, for changes that a cancelled event no longer takes (verb: what the message says it cannot be).
create or replace function app_hidden.open_event_for_admin_change(event_id uuid, verb text) returns app_public.events
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_event app_public.events := app_hidden.event_for_admin_change(event_id);
begin
  if v_event.status = 'cancelled' then
    perform app_hidden.raise_error('BXEST', format('A cancelled event cannot be %s.', verb), jsonb_build_object('status', v_event.status));
  end if;
  return v_event;
end;
$$;

-- Status changes through updateEvent may publish, postpone or take back to draft; cancelling is
-- cancel_event's alone (it stops sales and queues refunds), and a cancelled event stays cancelled.
-- The owner (importer, security-definer functions such as cancel_event, tests) is not held to this.
create or replace function app_hidden.events_status_guard() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if pg_has_role(current_user, (select c.relowner from pg_class c where c.oid = tg_relid), 'usage') then
    return new;
  end if;
  if tg_op = 'UPDATE' and old.status = 'cancelled' then
    perform app_hidden.raise_error('BXEST', 'A cancelled event cannot be changed.', jsonb_build_object('status', old.status));
  end if;
  if new.status = 'cancelled' then
    perform app_hidden.raise_error('BXEST', 'Cancel an event with cancelEvent, which also releases holds and refunds buyers.',
      jsonb_build_object('status', case when tg_op = 'UPDATE' then old.status else 'draft' end));
  end if;
  return new;
end;
$$;
drop trigger if exists _200_status_guard on app_public.events;
create trigger _200_status_guard before insert or update on app_public.events
  for each row execute function app_hidden.events_status_guard();

/*
 * Seat layouts: a block of rows with numbered seats, positions continuing after the venue's last.
 */
create or replace function app_public.add_seat_rows(venue_id uuid, section text, row_labels text[], seats_per_row int)
  returns int
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_created int;
  v_last int;
begin
  perform app_hidden.require_admin();
  if seats_per_row not between 1 and 1000 or cardinality(row_labels) not between 1 and 200 or coalesce(section, '') = '' then
    perform app_hidden.raise_error('BXADI', 'Give a section, 1 to 200 rows and 1 to 1000 seats per row.',
      jsonb_build_object('field', 'seatsPerRow'));
  end if;
  perform 1 from app_public.venues v where v.id = add_seat_rows.venue_id for update;
  if not found then
    perform app_hidden.raise_error('BXVNF', 'No such venue.', jsonb_build_object('venueId', venue_id));
  end if;
  select coalesce(max(s.position), 0) into v_last from app_public.seats s where s.venue_id = add_seat_rows.venue_id;
  insert into app_public.seats (venue_id, section, row_label, seat_number, position)
  select add_seat_rows.venue_id, add_seat_rows.section, r.label, n.n, (v_last + (r.idx - 1) * seats_per_row + n.n)::int
    from unnest(row_labels) with ordinality as r(label, idx), generate_series(1, seats_per_row) as n(n)
  on conflict do nothing;
  get diagnostics v_created = row_count;
  return v_created;
end;
$$;
comment on function app_public.add_seat_rows(uuid, text, text[], int) is
  'Admins: adds rows of seats (numbered 1..seatsPerRow) to a venue''s layout after its last seat; seats that exist are kept. Returns the number added.';
grant execute on function app_public.add_seat_rows(uuid, text, text[], int) to boxoffice_admin;

/*
 * Inventory. With quantity: that many general-admission places of the tier. Without: a ticket for
 * every seat of the venue (or of one section) that the event has no ticket for yet.
 */
create or replace function app_public.add_inventory(event_id uuid, price_tier_id uuid, quantity int default null, section text default null)
  returns int
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_event app_public.events;
  v_created int;
  v_last int;
begin
  perform app_hidden.require_admin();
  v_event := app_hidden.open_event_for_admin_change(event_id, 'changed');
  if not exists (select 1 from app_public.price_tiers pt where pt.event_id = v_event.id and pt.id = add_inventory.price_tier_id) then
    perform app_hidden.raise_error('BXPTN', 'That price tier is not this event''s.', jsonb_build_object('priceTierId', price_tier_id));
  end if;
  if quantity is not null and (quantity not between 1 and 100000 or section is not null) then
    perform app_hidden.raise_error('BXADI', 'Give a quantity from 1 to 100000 for general admission, or a section (no quantity) for seats.',
      jsonb_build_object('field', 'quantity'));
  end if;
  select coalesce(max(t.position), 0) into v_last from app_public.tickets t where t.event_id = v_event.id;
  if quantity is not null then
    insert into app_public.tickets (event_id, price_tier_id, seat_id, position)
    select v_event.id, add_inventory.price_tier_id, null, v_last + g.n from generate_series(1, quantity) as g(n);
  else
    insert into app_public.tickets (event_id, price_tier_id, seat_id, position)
    select v_event.id, add_inventory.price_tier_id, s.id, s.position
      from app_public.seats s
     where s.venue_id = v_event.venue_id and (add_inventory.section is null or s.section = add_inventory.section)
       and not exists (select 1 from app_public.tickets t where t.event_id = v_event.id and t.seat_id = s.id)
     order by s.position;
  end if;
  get diagnostics v_created = row_count;
  return v_created;
end;
$$;
comment on function app_public.add_inventory(uuid, uuid, int, text) is
  'Admins: adds tickets of a price tier to an event: `quantity` general-admission places, or (without quantity) one ticket per venue seat, of `section` or all, that has none yet. Returns the number added.';
grant execute on function app_public.add_inventory(uuid, uuid, int, text) to boxoffice_admin;

/*
 * Removing inventory never touches a ticket that anyone ever claimed (held, sold, or a hold that
 * ran out: the claim is the booking's history). Candidates are locked first, so a hold racing this
 * call either gets its claim in first (and the ticket stays) or waits and finds the ticket gone.
 */
create or replace function app_public.remove_unsold_inventory(event_id uuid, ticket_ids uuid[] default null)
  returns int
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_event app_public.events;
  v_removed int;
begin
  perform app_hidden.require_admin();
  v_event := app_hidden.event_for_admin_change(event_id);
  perform 1 from app_public.tickets t
   where t.event_id = v_event.id and (ticket_ids is null or t.id = any (ticket_ids))
   order by t.id for update;
  -- A new statement, so a new snapshot: claims committed while we waited for the locks count.
  delete from app_public.tickets t
   where t.event_id = v_event.id and (ticket_ids is null or t.id = any (ticket_ids))
     and not exists (select 1 from app_public.booking_tickets c where c.event_id = t.event_id and c.ticket_id = t.id);
  get diagnostics v_removed = row_count;
  return v_removed;
end;
$$;
comment on function app_public.remove_unsold_inventory(uuid, uuid[]) is
  'Admins: removes the event''s tickets (all, or those listed) that no booking ever claimed; held and sold tickets stay. Returns the number removed.';
grant execute on function app_public.remove_unsold_inventory(uuid, uuid[]) to boxoffice_admin;

/*
 * Reschedule: the admin gives the new wall time at the venue; the venue's time zone turns it into an
 * instant, so 20:00 stays 20:00 local across a DST change. Every confirmed booking's holder gets one
 * "rescheduled" email per new start time (notify_event_holders: one mail row per booking and time).
 */
create or replace function app_public.reschedule_event(event_id uuid, local_starts_at timestamp)
  returns app_public.events
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_event app_public.events;
  v_starts_at timestamptz;
begin
  perform app_hidden.require_admin();
  v_event := app_hidden.open_event_for_admin_change(event_id, 'rescheduled');
  select local_starts_at at time zone v.timezone into v_starts_at from app_public.venues v where v.id = v_event.venue_id;
  if v_starts_at is null then
    perform app_hidden.raise_error('BXADI', 'Give the new local start time.', jsonb_build_object('field', 'localStartsAt'));
  end if;
  if v_starts_at = v_event.starts_at then
    return v_event;
  end if;
  update app_public.events e set starts_at = v_starts_at, updated_at = now()
   where e.id = v_event.id returning * into v_event;
  -- Every holder of a confirmed booking is mailed once per new time (through the outbox).
  perform app_private.notify_event_holders(v_event.id, 'event_rescheduled');
  return v_event;
end;
$$;
comment on function app_public.reschedule_event(uuid, timestamp) is
  'Admins: moves the event to a new local start time at its venue (the venue''s time zone decides the instant) and emails every holder of a confirmed booking once.';
grant execute on function app_public.reschedule_event(uuid, timestamp) to boxoffice_admin;

/*
 * Change of venue: only while nothing is held or sold (no re-seating step). General-admission places
 * move with the event; seated tickets belong to the old venue's seats and are removed (add_inventory
 * then makes the new venue's). A seated ticket that a past booking claimed cannot be removed, so the
 * move is refused then too.
 */
create or replace function app_public.change_event_venue(event_id uuid, venue_id uuid)
  returns app_public.events
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_event app_public.events;
  v_live int;
begin
  perform app_hidden.require_admin();
  v_event := app_hidden.open_event_for_admin_change(event_id, 'changed');
  if not exists (select 1 from app_public.venues v where v.id = change_event_venue.venue_id) then
    perform app_hidden.raise_error('BXVNF', 'No such venue.', jsonb_build_object('venueId', venue_id));
  end if;
  if v_event.venue_id = change_event_venue.venue_id then
    return v_event;
  end if;
  select count(*) into v_live from app_public.booking_tickets c
   where c.event_id = v_event.id and c.claimed && tstzrange(now(), 'infinity');
  if v_live > 0 or exists (select 1 from app_public.tickets t
                            where t.event_id = v_event.id and t.seat_id is not null
                              and exists (select 1 from app_public.booking_tickets c where c.event_id = t.event_id and c.ticket_id = t.id)) then
    perform app_hidden.raise_error('BXVCH', 'The venue can change only while no ticket is held or sold (and no seated ticket was ever booked).',
      jsonb_build_object('claimedTickets', v_live));
  end if;
  delete from app_public.tickets t where t.event_id = v_event.id and t.seat_id is not null;
  update app_public.events e set venue_id = change_event_venue.venue_id, updated_at = now()
   where e.id = v_event.id returning * into v_event;
  return v_event;
end;
$$;
comment on function app_public.change_event_venue(uuid, uuid) is
  'Admins: moves an event to another venue while none of its tickets is held or sold; its seated tickets are removed (add them at the new venue with addInventory), general-admission places stay.';
grant execute on function app_public.change_event_venue(uuid, uuid) to boxoffice_admin;

/*
 * Cancel: stops sales (status), releases every live hold now, and queues, in one batch, a refund and
 * an email for every confirmed booking. A second call finds the event cancelled and does nothing;
 * the job keys would also keep a retried batch from queueing a booking twice.
 */
create or replace function app_public.cancel_event(event_id uuid)
  returns app_public.events
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_now timestamptz;
  v_event app_public.events;
  v_held uuid[];
begin
  perform app_hidden.require_admin();
  -- Waits for holds in flight (they lock the event "for share"), so none slips in after the cut.
  v_event := app_hidden.event_for_admin_change(event_id);
  if v_event.status = 'cancelled' then
    return v_event;
  end if;
  -- The cut is read once, after that wait: now() (this transaction's start) can be earlier than the
  -- start of a hold we waited for, and a claim cannot end before it began.
  v_now := clock_timestamp();
  update app_public.events e set status = 'cancelled', updated_at = v_now where e.id = v_event.id returning * into v_event;

  -- Lock the event's live bookings: a payment confirming one right now either finishes first (and
  -- the booking is refunded below) or finds it cancelled.
  perform 1 from app_public.bookings b where b.event_id = v_event.id and b.status in ('held', 'confirmed') order by b.id for update;
  with released as (
    update app_public.bookings b set status = 'cancelled', ended_reason = 'event_cancelled', ended_at = v_now
     where b.event_id = v_event.id and b.status = 'held' and b.expires_at > v_now
    returning b.id)
  select array_agg(id) into v_held from released;
  update app_public.booking_tickets c set claimed = tstzrange(lower(c.claimed), v_now)
   where c.booking_id = any (v_held) and upper(c.claimed) > v_now;
  update app_public.payments p set status = 'expired' where p.booking_id = any (v_held) and p.status = 'pending';

  -- Every confirmed booking is refunded once and its holder mailed once (through the outbox).
  perform app_private.notify_event_holders(v_event.id, 'event_cancelled');
  return v_event;
end;
$$;
comment on function app_public.cancel_event(uuid) is
  'Admins: cancels an event: sales stop, live holds are released at once, and every confirmed booking is refunded and its holder emailed (queued once per booking). Calling it again changes nothing.';
grant execute on function app_public.cancel_event(uuid) to boxoffice_admin;
