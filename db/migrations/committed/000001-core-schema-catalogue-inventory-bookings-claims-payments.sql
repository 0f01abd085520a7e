--! Previous: -
--! Hash: sha1:c16fcd358ee611f730ddc3058211d4fab66c8ba8
--! Message: Core schema: catalogue, inventory, bookings, claims, payments

-- Boxoffice core schema: catalogue, inventory, bookings and their claims, payments.
-- Functions and triggers live in db/functions/ (applied after every migrate); this file holds
-- tables, constraints, indexes, row-level security and table grants.

create extension if not exists btree_gist with schema public;
create extension if not exists pg_trgm with schema public;
create extension if not exists unaccent with schema public;
create extension if not exists citext with schema public;

drop schema if exists app_public cascade;
drop schema if exists app_hidden cascade;
drop schema if exists app_private cascade;

create schema app_public;
create schema app_hidden;
create schema app_private;

grant usage on schema app_public, app_hidden to boxoffice_visitor;
grant usage on schema app_private to boxoffice_authenticator;

-- Functions are not executable by everyone unless granted one by one.
alter default privileges revoke execute on functions from public;

/*
 * Users: created on first sight of a verified identity token, keyed by issuer + subject.
 */
create table app_public.users (
  id uuid primary key default gen_random_uuid(),
  issuer text not null check (issuer <> ''),
  subject text not null check (subject <> ''),
  email citext check (email is null or email ~ '^[^@\s]+@[^@\s]+$'),
  name text check (char_length(name) <= 200),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (issuer, subject)
);
comment on table app_public.users is 'A person who signed in through an identity provider.';
comment on column app_public.users.issuer is 'The identity provider that vouches for this user (the token''s iss).';
comment on column app_public.users.subject is 'The user''s id at that provider (the token''s sub).';

alter table app_public.users enable row level security;
create policy "Users can see themselves" on app_public.users
  for select using (id = nullif(current_setting('jwt.claims.user_id', true), '')::uuid);
grant select on app_public.users to boxoffice_visitor;

/*
 * Catalogue: venues, their seat layout, performers, events, price tiers.
 */
create table app_public.venues (
  id uuid primary key default gen_random_uuid(),
  source text,
  source_id text,
  name text not null check (name <> ''),
  address text,
  city text,
  state text,
  postal_code text,
  country text check (country ~ '^[A-Z]{2}$'),
  timezone text not null,
  latitude double precision check (latitude between -90 and 90),
  longitude double precision check (longitude between -180 and 180),
  created_at timestamptz not null default now(),
  unique (source, source_id)
);
comment on table app_public.venues is 'A place where events happen.';
comment on column app_public.venues.timezone is 'IANA time zone of the venue; event wall times are shown in it.';
comment on column app_public.venues.country is 'ISO 3166-1 alpha-2 country code.';
comment on column app_public.venues.source is 'Where this row was imported from (e.g. ticketmaster); null when created here.';

create table app_public.seats (
  id uuid primary key default gen_random_uuid(),
  venue_id uuid not null references app_public.venues on delete cascade,
  section text not null,
  row_label text not null,
  seat_number int not null check (seat_number > 0),
  position int not null,
  unique (venue_id, section, row_label, seat_number)
);
create index on app_public.seats (venue_id, position);
comment on table app_public.seats is 'A venue''s seat layout: section, row and seat number.';
comment on column app_public.seats.position is 'Order of the seat in the layout, best first; used to pick "best available" seats.';

create table app_public.performers (
  id uuid primary key default gen_random_uuid(),
  source text,
  source_id text,
  name text not null check (name <> ''),
  url text,
  created_at timestamptz not null default now(),
  unique (source, source_id)
);
comment on table app_public.performers is 'An artist, team or show that performs at events.';

create table app_public.events (
  id uuid primary key default gen_random_uuid(),
  source text,
  source_id text,
  venue_id uuid not null references app_public.venues,
  title text not null check (title <> ''),
  description text,
  category text,
  genre text,
  url text,
  image_url text,
  starts_at timestamptz not null,
  status text not null default 'draft'
    check (status in ('draft', 'published', 'postponed', 'cancelled')),
  sale_starts_at timestamptz,
  sale_ends_at timestamptz,
  currency char(3) not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
  max_tickets_per_user int not null default 8 check (max_tickets_per_user between 1 and 100),
  hold_seconds int not null default 300 check (hold_seconds between 30 and 3600),
  queue_enabled boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (source, source_id),
  unique (id, currency),
  check (sale_ends_at is null or sale_starts_at is null or sale_ends_at > sale_starts_at)
);
create index on app_public.events (venue_id);
create index on app_public.events (starts_at, id);
comment on table app_public.events is 'Something people buy tickets for, at one venue and one start time.';
comment on column app_public.events.status is 'draft (admins only), published, postponed or cancelled. Sales are open when published and inside the sale window.';
comment on column app_public.events.sale_starts_at is 'When public sales open; null means open now.';
comment on column app_public.events.sale_ends_at is 'When sales close; null means at the start of the event.';
comment on column app_public.events.currency is 'ISO 4217 currency of every price of this event.';
comment on column app_public.events.hold_seconds is 'How long a hold keeps tickets before they are free again.';
comment on column app_public.events.queue_enabled is 'When true, buyers go through the waiting room before they can hold tickets.';

create table app_public.event_performers (
  event_id uuid not null references app_public.events on delete cascade,
  performer_id uuid not null references app_public.performers on delete cascade,
  position int not null default 0,
  primary key (event_id, performer_id)
);
create index on app_public.event_performers (performer_id);
comment on table app_public.event_performers is 'Who performs at an event, headliner first.';

create table app_public.price_tiers (
  id uuid primary key default gen_random_uuid(),
  event_id uuid not null,
  name text not null check (name <> ''),
  amount int not null check (amount >= 0),
  currency char(3) not null,
  unique (event_id, name),
  unique (event_id, id),
  -- One currency per event, so a booking's total is always a single amount.
  foreign key (event_id, currency) references app_public.events (id, currency) on delete cascade on update cascade
);
comment on table app_public.price_tiers is 'A price level of an event; amount in minor units of the currency (cents, or yen).';

/*
 * Inventory: one row per sellable unit of an event. event_id leads every key so that inventory can
 * later be distributed by event.
 */
create table app_public.tickets (
  event_id uuid not null references app_public.events on delete cascade,
  id uuid not null default gen_random_uuid(),
  price_tier_id uuid not null,
  seat_id uuid references app_public.seats,
  -- Seated events order by the seat's position, general admission by insertion.
  position int not null,
  primary key (event_id, id),
  unique (id),
  unique (event_id, seat_id),
  foreign key (event_id, price_tier_id) references app_public.price_tiers (event_id, id) on delete cascade
);
create index on app_public.tickets (event_id, price_tier_id, position);
comment on table app_public.tickets is 'A sellable unit of an event: a reserved seat, or one general-admission place (no seat).';

/*
 * Bookings and their claims. The no-oversell invariant lives in booking_tickets: each row claims a
 * ticket for a time range, and the exclusion constraint forbids two overlapping claims on one ticket.
 * A hold claims [created, expires_at): it stops blocking by itself when that range ends.
 */
create table app_public.bookings (
  id uuid primary key default gen_random_uuid(),
  event_id uuid not null references app_public.events,
  user_id uuid not null references app_public.users,
  status text not null default 'held'
    check (status in ('held', 'confirmed', 'cancelled', 'expired', 'refunded')),
  ended_reason text check (ended_reason in ('cancelled_by_user', 'hold_expired', 'tickets_taken', 'limit_reached', 'sale_closed')),
  total_amount int not null check (total_amount >= 0),
  currency char(3) not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  confirmed_at timestamptz,
  ended_at timestamptz,
  check ((status = 'confirmed') = (confirmed_at is not null) or status = 'refunded'),
  check (expires_at > created_at)
);
create index on app_public.bookings (user_id, created_at desc);
create index on app_public.bookings (event_id);
-- The sweep looks only at holds; this index stays as small as the live holds.
create index bookings_held_expiry_idx on app_public.bookings (expires_at) where status = 'held';
comment on table app_public.bookings is 'A buyer''s hold on tickets, which becomes a confirmed order once paid.';
comment on column app_public.bookings.status is 'held, confirmed, cancelled, expired or refunded.';
comment on column app_public.bookings.ended_reason is 'Why a booking ended without being confirmed: cancelled_by_user, hold_expired, or, for a payment that arrived after the hold ran out, tickets_taken, limit_reached or sale_closed.';
comment on column app_public.bookings.total_amount is 'Sum of the ticket prices in minor units of currency.';

create table app_private.booking_idempotency_keys (
  user_id uuid not null references app_public.users on delete cascade,
  key text not null check (char_length(key) between 1 and 255),
  booking_id uuid not null references app_public.bookings on delete cascade,
  request_hash text not null,
  created_at timestamptz not null default now(),
  primary key (user_id, key)
);
comment on table app_private.booking_idempotency_keys is 'Idempotency-Key of each create_booking call, so a retried request returns the same booking.';

create table app_public.booking_tickets (
  booking_id uuid not null references app_public.bookings on delete cascade,
  event_id uuid not null,
  ticket_id uuid not null,
  amount int not null check (amount >= 0),
  claimed tstzrange not null check (not isempty(claimed) and lower(claimed) is not null),
  primary key (booking_id, ticket_id),
  foreign key (event_id, ticket_id) references app_public.tickets (event_id, id),
  constraint booking_tickets_no_double_claim
    exclude using gist (event_id with =, ticket_id with =, claimed with &&)
);
create index on app_public.booking_tickets (event_id, ticket_id);
comment on table app_public.booking_tickets is 'A booking''s claim on one ticket for a time range; no two claims on a ticket may overlap.';
comment on column app_public.booking_tickets.claimed is 'held: [created, expires_at); confirmed: [confirmed, infinity); ended: upper bound set to when it ended.';
comment on column app_public.booking_tickets.amount is 'The ticket''s price when it was claimed.';

create table app_public.payments (
  id uuid primary key default gen_random_uuid(),
  booking_id uuid not null references app_public.bookings on delete cascade,
  provider text not null check (provider in ('dev', 'stripe')),
  status text not null default 'pending' check (status in ('pending', 'paid', 'failed', 'expired')),
  amount int not null check (amount >= 0),
  currency char(3) not null,
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  paid_at timestamptz,
  check ((status = 'paid') = (paid_at is not null))
);
create index on app_public.payments (booking_id);
-- At most one payment attempt is open for a booking at a time.
create unique index payments_one_pending_per_booking on app_public.payments (booking_id) where status = 'pending';
comment on table app_public.payments is 'A payment attempt for a booking at a payment provider.';

create table app_private.payment_secrets (
  payment_id uuid primary key references app_public.payments on delete cascade,
  provider_ref text,
  checkout_url text
);
comment on table app_private.payment_secrets is 'Provider-side identifiers of a payment (checkout session id and URL); never shown through the API.';

/*
 * Row-level security. Catalogue rows are public (draft events are not); bookings and payments
 * belong to their buyer. All writes go through security-definer functions in db/functions/.
 */
alter table app_public.venues enable row level security;
create policy "Anyone can see venues" on app_public.venues for select using (true);
grant select on app_public.venues to boxoffice_visitor;

alter table app_public.seats enable row level security;
create policy "Anyone can see seat layouts" on app_public.seats for select using (true);
grant select on app_public.seats to boxoffice_visitor;

alter table app_public.performers enable row level security;
create policy "Anyone can see performers" on app_public.performers for select using (true);
grant select on app_public.performers to boxoffice_visitor;

alter table app_public.events enable row level security;
create policy "Anyone can see events that are not drafts" on app_public.events
  for select using (status <> 'draft');
create policy "Admins can see every event" on app_public.events
  for select to boxoffice_admin using (true);
grant select on app_public.events to boxoffice_visitor;

alter table app_public.event_performers enable row level security;
create policy "Anyone can see who performs at visible events" on app_public.event_performers
  for select using (exists (select 1 from app_public.events e where e.id = event_id));
grant select on app_public.event_performers to boxoffice_visitor;

alter table app_public.price_tiers enable row level security;
create policy "Anyone can see prices of visible events" on app_public.price_tiers
  for select using (exists (select 1 from app_public.events e where e.id = event_id));
grant select on app_public.price_tiers to boxoffice_visitor;

alter table app_public.tickets enable row level security;
create policy "Anyone can see tickets of visible events" on app_public.tickets
  for select using (exists (select 1 from app_public.events e where e.id = event_id));
grant select on app_public.tickets to boxoffice_visitor;

alter table app_public.bookings enable row level security;
create policy "Users can see their own bookings" on app_public.bookings
  for select using (user_id = nullif(current_setting('jwt.claims.user_id', true), '')::uuid);
create policy "Admins can see every booking" on app_public.bookings
  for select to boxoffice_admin using (true);
grant select on app_public.bookings to boxoffice_visitor;

alter table app_public.booking_tickets enable row level security;
create policy "Users can see the tickets of their own bookings" on app_public.booking_tickets
  for select using (exists (select 1 from app_public.bookings b where b.id = booking_id));
grant select on app_public.booking_tickets to boxoffice_visitor;

alter table app_public.payments enable row level security;
create policy "Users can see the payments of their own bookings" on app_public.payments
  for select using (exists (select 1 from app_public.bookings b where b.id = booking_id));
grant select on app_public.payments to boxoffice_visitor;

alter table app_private.booking_idempotency_keys enable row level security;
alter table app_private.payment_secrets enable row level security;
