--! Previous: sha1:1f924e986d4a0b97cc7c3e6953ae3e71bcd8e93d
--! Hash: sha1:d6daf2be6d4b4620d2b4749455eac626dbf8357f
--! Message: Search on a million events: title and detail documents, venue city and country on events, filter indexes in start-time order

-- Search on a million events: the one weighted document (search_vector, ranked with ts_rank over
-- every match) becomes two documents and three denormalised filter keys, so that a page of results
-- can be read in start-time order from an index instead of ranking thousands of matches first.
-- - title_vector: title and performers. A match here is the higher relevance tier.
-- - detail_vector: venue name, city, category, genre and description.
-- - venue_city_key / venue_country: the venue's city (as a filter key) and country, copied onto the
--   event (kept current by triggers, like the documents), so city and country filters use an index
--   that is already in start-time order. category_key is the category as a filter key.
-- The documents are filled by db/functions/search.sql (its triggers, and a backfill of rows where
-- title_vector is null).
-- A filter's key: lower case, no accents, letters and digits only, so that "Saint-Étienne",
-- "saint etienne" and "SAINT ETIENNE" are one city and "Hip-Hop/Rap" and "hip hop rap" one category.
create or replace function app_hidden.search_key(t text) returns text
  language sql immutable strict parallel safe
as $$ select regexp_replace(lower(app_hidden.unaccent_immutable(t)), '[^[:alnum:]]+', '', 'g') $$;
comment on function app_hidden.search_key(text) is 'The key a city or category filter compares: lower case, unaccented, letters and digits only.';
grant execute on function app_hidden.search_key(text) to boxoffice_visitor;

drop trigger if exists _100_search_vector on app_public.events;
drop function if exists app_hidden.events_set_search_vector();
drop function if exists app_hidden.event_search_document(uuid, text, text, text, text, uuid);
alter table app_public.events drop column if exists search_vector;

alter table app_public.events
  add column if not exists title_vector tsvector,
  add column if not exists detail_vector tsvector,
  add column if not exists venue_city_key text,
  add column if not exists venue_country text,
  add column if not exists category_key text generated always as (app_hidden.search_key(category)) stored;
comment on column app_public.events.title_vector is 'Search document of the title and performers (the higher relevance tier). Maintained by triggers.';
comment on column app_public.events.detail_vector is 'Search document of the venue name, city, category, genre and description. Maintained by triggers.';
comment on column app_public.events.venue_city_key is 'The venue''s city as a filter key (app_hidden.search_key). Maintained by triggers.';
comment on column app_public.events.venue_country is 'The venue''s country, for search filters. Maintained by triggers.';
comment on column app_public.events.category_key is 'The category as a filter key (app_hidden.search_key).';

create index if not exists events_title_vector_idx on app_public.events using gin (title_vector);
create index if not exists events_detail_vector_idx on app_public.events using gin (detail_vector);
-- Every word in one document or the other, as one GIN scan: its AND skips through a frequent word's
-- entries with a rare word's. ANDing bitmaps of the two indexes read all of "the" first (50 ms for
-- "the who" on a million events, 2 ms this way).
create index if not exists events_search_idx on app_public.events using gin ((title_vector || detail_vector));
-- Relevance tiers are read in start-time order or from the text indexes as the planner estimates
-- a word's frequency. Ten times the default statistics keep ten times as many words with their
-- frequencies (names are many and each is rare).
alter table app_public.events alter column title_vector set statistics 1000, alter column detail_vector set statistics 1000;
alter index app_public.events_search_idx alter column 1 set statistics 1000;
-- Each filter's events in start-time order: a filtered page is a range of one index. Each index
-- also carries the other filter keys and the status, so that a page of city, country and category
-- filters is read from the index alone: a combination with few or no events (sports in a city of
-- concert halls) passes every event of the city without a heap fetch: 3 ms instead of 20 ms with
-- the table warm, 80-100 ms cold, on a million events.
create index if not exists events_city_starts_at_idx on app_public.events (venue_city_key, starts_at, id)
  include (category_key, status);
create index if not exists events_country_starts_at_idx on app_public.events (venue_country, starts_at, id)
  include (category_key, venue_city_key, status);
create index if not exists events_category_starts_at_idx on app_public.events (category_key, starts_at, id)
  include (venue_city_key, venue_country, status);
