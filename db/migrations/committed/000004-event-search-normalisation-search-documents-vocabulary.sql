--! Previous: sha1:23dcd858f421cf3aeca7d64d7bb0b8f045ee4225
--! Hash: sha1:1f924e986d4a0b97cc7c3e6953ae3e71bcd8e93d
--! Message: Event search: normalisation, search documents, vocabulary

-- Event search: normalisation, text-search configuration, search documents and their indexes, and
-- the vocabulary that typo correction looks words up in. The functions that stored data depends on
-- (normalisation, used by generated columns) live here: changing them means recomputing that data,
-- which needs a migration anyway. Query functions and triggers live in db/functions/search.sql.
-- No function here pins search_path (all names are schema-qualified): a SET clause keeps a SQL
-- function from being inlined and made each call reload the text-search dictionaries.

-- unaccent() is only stable (its dictionary could change), so it cannot feed an index or a generated
-- column. Naming the dictionary by schema makes the result depend on the input alone.
create or replace function app_hidden.unaccent_immutable(t text) returns text
  language sql immutable strict parallel safe
as $$ select public.unaccent('public.unaccent'::regdictionary, t) $$;
comment on function app_hidden.unaccent_immutable(text) is 'unaccent() with its dictionary fixed, so that indexes and generated columns can use it.';

-- Search text: lower case, no accents, only letters, digits and single spaces. A word written with
-- punctuation inside ("AC/DC", "Jay-Z", "blink-182", "will.i.am") is kept as its parts and also joined
-- ("ac dc acdc"), so that people find it whether they type the punctuation or not.
create or replace function app_hidden.search_normalize(t text) returns text
  language sql immutable strict parallel safe
as $$
  select coalesce(btrim(regexp_replace(string_agg(
           case when w ~ '[[:alnum:]][^[:alnum:]]+[[:alnum:]]'
                then regexp_replace(w, '[^[:alnum:]]+', ' ', 'g') || ' ' || regexp_replace(w, '[^[:alnum:]]+', '', 'g')
                else regexp_replace(w, '[^[:alnum:]]+', ' ', 'g') end, ' '), ' {2,}', ' ', 'g')), '')
    from regexp_split_to_table(lower(app_hidden.unaccent_immutable(t)), '\s+') as w
$$;
comment on function app_hidden.search_normalize(text) is 'Lower case, unaccented, punctuation-free search text; words with inner punctuation also appear joined.';

-- English stemming (so "concerts" finds "Concert") but no stop-word list: a band called "The Who" or
-- "Take That" must stay findable. search_events drops stop words from a query itself, unless the
-- query is nothing but stop words.
drop text search configuration if exists app_hidden.search;
drop text search dictionary if exists app_hidden.english_stem_all;
create text search dictionary app_hidden.english_stem_all (template = snowball, language = english);
create text search configuration app_hidden.search (copy = pg_catalog.english);
alter text search configuration app_hidden.search
  alter mapping for asciiword, asciihword, hword_asciipart, word, hword, hword_part, numword, numhword, hword_numpart
  with app_hidden.english_stem_all;
comment on text search configuration app_hidden.search is 'Event search: English stems, stop words kept.';

-- The event's search document, kept current by triggers (db/functions/search.sql) because it also
-- holds its performers' names and its venue.
alter table app_public.events add column if not exists search_vector tsvector;
comment on column app_public.events.search_vector is 'Search document: title and performers (weight A), venue (B), city, category and genre (C), description (D). Maintained by triggers.';
create index if not exists events_search_vector_idx on app_public.events using gin (search_vector);
create index if not exists events_lower_title_idx on app_public.events (lower(title), id);

alter table app_public.performers add column if not exists search_vector tsvector
  generated always as (to_tsvector('app_hidden.search'::regconfig, app_hidden.search_normalize(name))) stored;
create index if not exists performers_search_vector_idx on app_public.performers using gin (search_vector);
alter table app_public.venues add column if not exists search_vector tsvector
  generated always as (to_tsvector('app_hidden.search'::regconfig,
                                   app_hidden.search_normalize(name || ' ' || coalesce(city, '')))) stored;
create index if not exists venues_search_vector_idx on app_public.venues using gin (search_vector);
create index if not exists venues_city_idx on app_public.venues (app_hidden.search_normalize(city));

-- Every word of every title, performer, venue, city and category name: the vocabulary a misspelt
-- query word is corrected against (trigram similarity). Words only get added; a word that no longer
-- occurs costs nothing but a correction that finds no event. Not unique on purpose: a unique word
-- would make two open transactions that add the same new word wait for each other (an import
-- would hold up every other writer); a rare duplicate costs nothing.
create table if not exists app_hidden.search_words (
  word text collate "C" not null
);
create index if not exists search_words_word_idx on app_hidden.search_words (word);
create index if not exists search_words_trgm_idx on app_hidden.search_words using gin (word public.gin_trgm_ops);
comment on table app_hidden.search_words is 'Vocabulary of the catalogue (normalised words), for typo correction in search.';
alter table app_hidden.search_words enable row level security;
drop policy if exists "Anyone can read the search vocabulary" on app_hidden.search_words;
create policy "Anyone can read the search vocabulary" on app_hidden.search_words for select using (true);
grant select on app_hidden.search_words to boxoffice_visitor;

-- One row of search_events: the event, its relevance and the cursor that continues after it.
drop type if exists app_public.event_search_hit cascade;
create type app_public.event_search_hit as (
  event app_public.events,
  rank real,
  cursor text
);
comment on type app_public.event_search_hit is 'An event found by searchEvents, with its relevance and the cursor to pass as `after` for the events that follow it.';

-- One completion of search_suggestions.
drop type if exists app_public.search_suggestion cascade;
create type app_public.search_suggestion as (
  kind text,
  id uuid,
  label text,
  detail text
);
comment on type app_public.search_suggestion is 'A type-ahead completion: kind (performer, venue or event), the id to open, the text to show, and a detail line (city, date).';
