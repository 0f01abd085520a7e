--! Previous: sha1:c16fcd358ee611f730ddc3058211d4fab66c8ba8
--! Hash: sha1:b61f04bb85829367f669bebce5fce334f37a4649
--! Message: Users, admins and security: admins table, profile, admin write policies, audit log

-- Users, admins and security: admin rights kept in the database, user-editable profile, admin write
-- policies with column grants, the append-only audit log, and the booking end reason of a cancelled
-- event. Functions and triggers live in db/functions/ (admin.sql, audit.sql, users.sql).

/*
 * Admins: the one source of admin rights. The server reads it when it verifies a token and switches
 * the request to boxoffice_admin only for users listed here; no token claim can make anyone an admin.
 * Managed by `npm run admin -- grant|revoke|list` (scripts/admin.ts) as the owner.
 */
create table if not exists app_private.admins (
  user_id uuid primary key references app_public.users on delete cascade,
  granted_at timestamptz not null default now(),
  granted_by text not null default session_user
);
comment on table app_private.admins is 'Users with admin rights. Only the owner (the admin CLI) writes here.';
alter table app_private.admins enable row level security;

-- Admin write policies check the table as well as the role: a revoke stops admin writes at once,
-- even while the server still has the user's role cached.
create or replace function app_hidden.current_user_is_admin() returns boolean
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  return exists (select 1 from app_private.admins a where a.user_id = nullif(current_setting('jwt.claims.user_id', true), '')::uuid);
end;
$$;
comment on function app_hidden.current_user_is_admin() is 'True when the signed-in user is listed in app_private.admins.';
grant execute on function app_hidden.current_user_is_admin() to boxoffice_visitor;

/*
 * Users: a display name the user may change (name and email follow the identity provider's claims).
 */
alter table app_public.users add column if not exists display_name text
  check (display_name is null or char_length(display_name) between 1 and 100);
comment on column app_public.users.display_name is 'The name the user chose to be shown; null means the identity provider''s name.';
comment on column app_public.users.email is 'Email address from the identity provider (kept current on every sign-in).';
comment on column app_public.users.name is 'Full name from the identity provider (kept current on every sign-in).';

drop policy if exists "Users can change their own profile" on app_public.users;
create policy "Users can change their own profile" on app_public.users
  for update using (id = nullif(current_setting('jwt.claims.user_id', true), '')::uuid)
  with check (id = nullif(current_setting('jwt.claims.user_id', true), '')::uuid);
grant update (display_name) on app_public.users to boxoffice_visitor;

drop policy if exists "Admins can see every user" on app_public.users;
create policy "Admins can see every user" on app_public.users for select to boxoffice_admin using (true);

/*
 * A booking of a cancelled event ends with its own reason.
 */
alter table app_public.bookings drop constraint if exists bookings_ended_reason_check;
alter table app_public.bookings add constraint bookings_ended_reason_check
  check (ended_reason in ('cancelled_by_user', 'hold_expired', 'tickets_taken', 'limit_reached', 'sale_closed', 'event_cancelled'));
comment on column app_public.bookings.ended_reason is 'Why a booking ended without being confirmed: cancelled_by_user, hold_expired, event_cancelled, or, for a payment that arrived after the hold ran out, tickets_taken, limit_reached or sale_closed.';

/*
 * Venue time zones must be real IANA names: every wall time of an event is computed in it.
 */
create or replace function app_hidden.is_time_zone(name text) returns boolean
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform now() at time zone name;
  return true;
exception when invalid_parameter_value then
  return false;
end;
$$;
comment on function app_hidden.is_time_zone(text) is 'True when PostgreSQL knows this time zone name.';
grant execute on function app_hidden.is_time_zone(text) to boxoffice_visitor;
alter table app_public.venues drop constraint if exists venues_timezone_known;
alter table app_public.venues add constraint venues_timezone_known check (app_hidden.is_time_zone(timezone));

/*
 * Admin writes. Admins create and change catalogue rows through the generated GraphQL mutations;
 * each grant names its columns, so a new column is never writable by accident. What needs a rule
 * (start time, venue, cancelling, inventory) goes through the functions in db/functions/admin.sql.
 */
drop policy if exists "Admins can add venues" on app_public.venues;
create policy "Admins can add venues" on app_public.venues for insert to boxoffice_admin with check (app_hidden.current_user_is_admin());
drop policy if exists "Admins can change venues" on app_public.venues;
create policy "Admins can change venues" on app_public.venues for update to boxoffice_admin using (app_hidden.current_user_is_admin());
grant insert (name, address, city, state, postal_code, country, timezone, latitude, longitude),
      update (name, address, city, state, postal_code, country, timezone, latitude, longitude)
  on app_public.venues to boxoffice_admin;

drop policy if exists "Admins can add seats" on app_public.seats;
create policy "Admins can add seats" on app_public.seats for insert to boxoffice_admin with check (app_hidden.current_user_is_admin());
drop policy if exists "Admins can change seats" on app_public.seats;
create policy "Admins can change seats" on app_public.seats for update to boxoffice_admin using (app_hidden.current_user_is_admin());
grant insert (venue_id, section, row_label, seat_number, position),
      update (section, row_label, seat_number, position)
  on app_public.seats to boxoffice_admin;

drop policy if exists "Admins can add performers" on app_public.performers;
create policy "Admins can add performers" on app_public.performers for insert to boxoffice_admin with check (app_hidden.current_user_is_admin());
drop policy if exists "Admins can change performers" on app_public.performers;
create policy "Admins can change performers" on app_public.performers for update to boxoffice_admin using (app_hidden.current_user_is_admin());
grant insert (name, url), update (name, url) on app_public.performers to boxoffice_admin;

drop policy if exists "Admins can add events" on app_public.events;
create policy "Admins can add events" on app_public.events for insert to boxoffice_admin with check (app_hidden.current_user_is_admin());
drop policy if exists "Admins can change events" on app_public.events;
create policy "Admins can change events" on app_public.events for update to boxoffice_admin using (app_hidden.current_user_is_admin());
-- Not updatable here: venue_id (change_event_venue), starts_at (reschedule_event), currency (prices
-- and claims are in it); status 'cancelled' only through cancel_event (a trigger checks).
grant insert (venue_id, title, description, category, genre, url, image_url, starts_at, status, sale_starts_at,
              sale_ends_at, currency, max_tickets_per_user, hold_seconds, queue_enabled),
      update (title, description, category, genre, url, image_url, status, sale_starts_at, sale_ends_at,
              max_tickets_per_user, hold_seconds, queue_enabled)
  on app_public.events to boxoffice_admin;

drop policy if exists "Admins can list performers of events" on app_public.event_performers;
create policy "Admins can list performers of events" on app_public.event_performers for insert to boxoffice_admin with check (app_hidden.current_user_is_admin());
drop policy if exists "Admins can reorder performers of events" on app_public.event_performers;
create policy "Admins can reorder performers of events" on app_public.event_performers for update to boxoffice_admin using (app_hidden.current_user_is_admin());
grant insert (event_id, performer_id, position), update (position) on app_public.event_performers to boxoffice_admin;

drop policy if exists "Admins can add price tiers" on app_public.price_tiers;
create policy "Admins can add price tiers" on app_public.price_tiers for insert to boxoffice_admin with check (app_hidden.current_user_is_admin());
drop policy if exists "Admins can change price tiers" on app_public.price_tiers;
create policy "Admins can change price tiers" on app_public.price_tiers for update to boxoffice_admin using (app_hidden.current_user_is_admin());
grant insert (event_id, name, amount, currency), update (name, amount) on app_public.price_tiers to boxoffice_admin;

drop policy if exists "Admins can see every payment" on app_public.payments;
create policy "Admins can see every payment" on app_public.payments for select to boxoffice_admin using (true);

/*
 * The audit log: one row per changed row of an admin-managed table, written by triggers
 * (db/functions/audit.sql). Append-only for everyone: no grant but select, and a trigger refuses
 * update, delete and truncate even for the owner.
 */
create table if not exists app_public.audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  actor_user_id uuid not null,
  actor_role text not null,
  table_name text not null,
  operation text not null check (operation in ('insert', 'update', 'delete')),
  row_key text not null,
  before jsonb,
  after jsonb
);
create index if not exists audit_log_table_row_idx on app_public.audit_log (table_name, row_key, id);
comment on table app_public.audit_log is 'Every change to venues, seats, performers, events, their performers, price tiers and tickets: who, when, before and after. Append-only.';
comment on column app_public.audit_log.actor_user_id is 'The signed-in user who made the change (changes by the owner itself, such as imports, are not logged).';
comment on column app_public.audit_log.actor_role is 'The database role the change ran as (boxoffice_admin, or the owner''s name).';
comment on column app_public.audit_log.row_key is 'The changed row''s id (event_id/performer_id for event performers).';
alter table app_public.audit_log enable row level security;
revoke all on app_public.audit_log from public;
drop policy if exists "Admins can read the audit log" on app_public.audit_log;
create policy "Admins can read the audit log" on app_public.audit_log for select to boxoffice_admin using (true);
grant select on app_public.audit_log to boxoffice_admin;
