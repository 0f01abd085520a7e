-- Catalogue inventory: a default seat layout for venues that have none, and the tickets of an event
-- generated from its price tiers. Used by the importer (importer/load.ts) and by admins; not callable
-- by visitors. Both functions are idempotent: calling them again changes nothing.

-- The default layout: sections Floor, Lower and Upper, rows A..J, seats 1..20 (600 seats). position
-- orders seats best first (Floor A1 is 1, Upper J20 is 600), which "best available" follows.
create or replace function app_private.ensure_venue_layout(venue_id uuid) returns int
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_created int;
begin
  -- Two importers sharing a venue take turns here, so only one of them creates the layout.
  perform 1 from app_public.venues v where v.id = ensure_venue_layout.venue_id for update;
  if not found then
    raise exception 'no venue with id %', ensure_venue_layout.venue_id using errcode = 'no_data_found';
  end if;
  if exists (select 1 from app_public.seats s where s.venue_id = ensure_venue_layout.venue_id) then
    return 0;
  end if;
  insert into app_public.seats (venue_id, section, row_label, seat_number, position)
  select ensure_venue_layout.venue_id, sec.name, chr(ascii('A') + r.n - 1), s.n,
         ((sec.idx - 1) * 200 + (r.n - 1) * 20 + s.n)::int
    from unnest(array['Floor', 'Lower', 'Upper']) with ordinality as sec(name, idx),
         generate_series(1, 10) as r(n),
         generate_series(1, 20) as s(n);
  get diagnostics v_created = row_count;
  return v_created;
end;
$$;
comment on function app_private.ensure_venue_layout(uuid) is
  'Creates the default 600-seat layout (Floor, Lower, Upper; rows A-J; seats 1-20) for a venue without seats. Returns the number of seats created, 0 when the venue already had a layout.';

-- An event's tickets, once: with two or more price tiers, one ticket per seat of the venue, the best
-- section at the highest price (section i gets the i-th dearest tier; sections beyond the number of
-- tiers get the cheapest); with one tier, 500 general-admission places; without tiers, nothing.
create or replace function app_private.generate_event_inventory(event_id uuid) returns int
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_venue_id uuid;
  v_tiers uuid[];
  v_created int;
begin
  -- Locking the event makes "has it tickets yet?" and the insert one step for concurrent callers.
  select e.venue_id into v_venue_id
    from app_public.events e where e.id = generate_event_inventory.event_id for update;
  if not found then
    raise exception 'no event with id %', generate_event_inventory.event_id using errcode = 'no_data_found';
  end if;
  if exists (select 1 from app_public.tickets t where t.event_id = generate_event_inventory.event_id) then
    return 0;
  end if;
  select array_agg(pt.id order by pt.amount desc, pt.name) into v_tiers
    from app_public.price_tiers pt where pt.event_id = generate_event_inventory.event_id;
  if v_tiers is null then
    return 0;
  end if;

  if cardinality(v_tiers) = 1 then
    insert into app_public.tickets (event_id, price_tier_id, seat_id, position)
    select generate_event_inventory.event_id, v_tiers[1], null, g.n
      from generate_series(1, 500) as g(n);
  else
    perform app_private.ensure_venue_layout(v_venue_id);
    -- Sections ranked by their best seat, so admin-made layouts with other names work too.
    insert into app_public.tickets (event_id, price_tier_id, seat_id, position)
    select generate_event_inventory.event_id,
           v_tiers[least(sec.rank, cardinality(v_tiers))],
           s.id, s.position
      from app_public.seats s
      join (select s2.section, row_number() over (order by min(s2.position), s2.section) as rank
              from app_public.seats s2 where s2.venue_id = v_venue_id group by s2.section) sec
        on sec.section = s.section
     where s.venue_id = v_venue_id
     order by s.position;
  end if;
  get diagnostics v_created = row_count;
  return v_created;
end;
$$;
comment on function app_private.generate_event_inventory(uuid) is
  'Creates an event''s tickets from its price tiers unless it has some already: a ticket per venue seat (dearest tier in the best section) with two or more tiers, 500 general-admission places with one, none without tiers. Returns the number of tickets created.';

-- Owner-only: the importer and admin functions call these; visitors never do.
revoke all on function app_private.ensure_venue_layout(uuid) from public;
revoke all on function app_private.generate_event_inventory(uuid) from public;
