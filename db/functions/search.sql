-- Event search: the search document and vocabulary (kept current by triggers, no indexing step),
-- the query builder (stop words, prefixes, typo correction) and search_events / search_suggestions.
-- Normalisation and the text-search configuration are in the migration (stored data depends on them).
-- Helpers called per row do not pin search_path (they are not security definer; names are
-- schema-qualified): a SET clause on event_search_document cost 4 ms per document instead of 0.2 ms.
-- The statement-level refreshes are security definer (admins edit the catalogue but may not write
-- search_vector or the vocabulary themselves); they pin search_path once per statement.

/*
 * The search document of an event, from its own columns, its performers and its venue.
 */
create or replace function app_hidden.event_search_document(event_id uuid, title text, description text,
                                                            category text, genre text, venue_id uuid)
  returns tsvector
  -- plpgsql rather than sql: its plans are cached for the session, which matters for bulk imports.
  language plpgsql stable parallel safe
as $$
declare
  v_performers text;
  v_venue text;
  v_city text;
begin
  select string_agg(p.name, ' ' order by ep.position, p.name) into v_performers
    from app_public.event_performers ep join app_public.performers p on p.id = ep.performer_id
   where ep.event_id = event_search_document.event_id;
  select v.name, v.city into v_venue, v_city from app_public.venues v where v.id = event_search_document.venue_id;
  return setweight(to_tsvector('app_hidden.search'::regconfig, app_hidden.search_normalize(coalesce(title, ''))), 'A')
      || setweight(to_tsvector('app_hidden.search'::regconfig, app_hidden.search_normalize(coalesce(v_performers, ''))), 'A')
      || setweight(to_tsvector('app_hidden.search'::regconfig, app_hidden.search_normalize(coalesce(v_venue, ''))), 'B')
      || setweight(to_tsvector('app_hidden.search'::regconfig, app_hidden.search_normalize(concat_ws(' ', v_city, category, genre))), 'C')
      || setweight(to_tsvector('app_hidden.search'::regconfig, app_hidden.search_normalize(left(coalesce(description, ''), 4000))), 'D');
end;
$$;
comment on function app_hidden.event_search_document(uuid, text, text, text, text, uuid) is
  'An event''s search document: title and performers weigh most, then venue, then city/category/genre, then description.';
-- The row trigger that fills search_vector runs as whoever writes the event: admins too.
grant execute on function app_hidden.event_search_document(uuid, text, text, text, text, uuid) to boxoffice_admin;

create or replace function app_hidden.events_set_search_vector() returns trigger
  language plpgsql volatile
as $$
begin
  new.search_vector := app_hidden.event_search_document(new.id, new.title, new.description, new.category, new.genre, new.venue_id);
  return new;
end;
$$;

-- Recomputes the documents of the given events (after their performers or venue changed).
create or replace function app_hidden.refresh_event_search(event_ids uuid[]) returns void
  language sql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  update app_public.events e
     set search_vector = app_hidden.event_search_document(e.id, e.title, e.description, e.category, e.genre, e.venue_id)
    from (select distinct u.id from unnest(event_ids) as u(id)) as x
   where e.id = x.id;  -- a join: "= any(array)" with a parameter scans the array for every row
$$;
-- Called by the refresh triggers, which run as whoever edits performers or venues: admins too.
grant execute on function app_hidden.refresh_event_search(uuid[]) to boxoffice_admin;

-- Statement-level triggers with transition tables, so that a bulk import updates each event once.
create or replace function app_hidden.event_performers_refresh_search() returns trigger
  language plpgsql volatile
as $$
begin
  if tg_op = 'INSERT' then
    perform app_hidden.refresh_event_search(array(select distinct n.event_id from new_rows n));
  elsif tg_op = 'DELETE' then
    perform app_hidden.refresh_event_search(array(select distinct o.event_id from old_rows o));
  else
    perform app_hidden.refresh_event_search(array(select n.event_id from new_rows n union select o.event_id from old_rows o));
  end if;
  return null;
end;
$$;

create or replace function app_hidden.performers_refresh_search() returns trigger
  language plpgsql volatile
as $$
begin
  perform app_hidden.refresh_event_search(array(
    select distinct ep.event_id
      from new_rows n join old_rows o on o.id = n.id
      join app_public.event_performers ep on ep.performer_id = n.id
     where n.name is distinct from o.name));
  return null;
end;
$$;

create or replace function app_hidden.venues_refresh_search() returns trigger
  language plpgsql volatile
as $$
begin
  perform app_hidden.refresh_event_search(array(
    select e.id
      from new_rows n join old_rows o on o.id = n.id
      join app_public.events e on e.venue_id = n.id
     where (n.name, n.city) is distinct from (o.name, o.city)));
  return null;
end;
$$;

-- New words of titles, categories, performer and venue names go into the vocabulary.
create or replace function app_hidden.search_words_add() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  insert into app_hidden.search_words (word)
  select distinct w.word
    from (select to_jsonb(n) as r from new_rows n) as t,
         regexp_split_to_table(app_hidden.search_normalize(concat_ws(' ',
           t.r ->> 'title', t.r ->> 'category', t.r ->> 'genre', t.r ->> 'name', t.r ->> 'city')), ' ') as w(word)
   where char_length(w.word) between 3 and 40
     and not exists (select 1 from app_hidden.search_words s where s.word = w.word);
  return null;
end;
$$;

drop trigger if exists _100_search_vector on app_public.events;
create trigger _100_search_vector before insert or update of title, description, category, genre, venue_id
  on app_public.events for each row execute function app_hidden.events_set_search_vector();
drop trigger if exists _500_search_words_insert on app_public.events;
create trigger _500_search_words_insert after insert on app_public.events
  referencing new table as new_rows for each statement execute function app_hidden.search_words_add();
drop trigger if exists _500_search_words_update on app_public.events;
create trigger _500_search_words_update after update on app_public.events
  referencing new table as new_rows for each statement execute function app_hidden.search_words_add();

drop trigger if exists _500_search_insert on app_public.event_performers;
create trigger _500_search_insert after insert on app_public.event_performers
  referencing new table as new_rows for each statement execute function app_hidden.event_performers_refresh_search();
drop trigger if exists _500_search_update on app_public.event_performers;
create trigger _500_search_update after update on app_public.event_performers
  referencing new table as new_rows old table as old_rows for each statement execute function app_hidden.event_performers_refresh_search();
drop trigger if exists _500_search_delete on app_public.event_performers;
create trigger _500_search_delete after delete on app_public.event_performers
  referencing old table as old_rows for each statement execute function app_hidden.event_performers_refresh_search();

drop trigger if exists _500_search_update on app_public.performers;
create trigger _500_search_update after update on app_public.performers
  referencing new table as new_rows old table as old_rows for each statement execute function app_hidden.performers_refresh_search();
drop trigger if exists _500_search_words_insert on app_public.performers;
create trigger _500_search_words_insert after insert on app_public.performers
  referencing new table as new_rows for each statement execute function app_hidden.search_words_add();
drop trigger if exists _500_search_words_update on app_public.performers;
create trigger _500_search_words_update after update on app_public.performers
  referencing new table as new_rows for each statement execute function app_hidden.search_words_add();

drop trigger if exists _500_search_update on app_public.venues;
create trigger _500_search_update after update on app_public.venues
  referencing new table as new_rows old table as old_rows for each statement execute function app_hidden.venues_refresh_search();
drop trigger if exists _500_search_words_insert on app_public.venues;
create trigger _500_search_words_insert after insert on app_public.venues
  referencing new table as new_rows for each statement execute function app_hidden.search_words_add();
drop trigger if exists _500_search_words_update on app_public.venues;
create trigger _500_search_words_update after update on app_public.venues
  referencing new table as new_rows for each statement execute function app_hidden.search_words_add();

-- Rows that existed before search did (cheap when there are none).
update app_public.events e
   set search_vector = app_hidden.event_search_document(e.id, e.title, e.description, e.category, e.genre, e.venue_id)
 where e.search_vector is null;
insert into app_hidden.search_words (word)
select distinct w.word
  from (select concat_ws(' ', title, category, genre) as t from app_public.events
        union all select name from app_public.performers
        union all select concat_ws(' ', name, city) from app_public.venues) as s,
       regexp_split_to_table(app_hidden.search_normalize(s.t), ' ') as w(word)
 where char_length(w.word) between 3 and 40
   and not exists (select 1 from app_hidden.search_words);

/*
 * The text query of a search box: null when the text has no word at all.
 * - Only the first 10 words (of the first 1,000 characters) count; longer words than 60 are ignored.
 * - Stop words are left out unless the query is only stop words ("The Who", "Take That" still work).
 * - The last word is a prefix (people type).
 * - A word that is in no title, performer, venue, city or category is also matched as its three
 *   nearest words of the vocabulary (trigram similarity >= 0.3): one or two letters off still finds.
 */
create or replace function app_hidden.search_query(q text) returns tsquery
  language plpgsql stable parallel safe
as $$
declare
  v_words text[];
  v_content text[];
  v_result tsquery;
  v_term tsquery;
  v_word text;
  v_prefix boolean;
  v_fix text;
  i int;
begin
  select array_agg(w.word order by w.n) into v_words
    from (select u.word, u.n
            from unnest(string_to_array(app_hidden.search_normalize(left(q, 1000)), ' ')) with ordinality as u(word, n)
           where u.word <> '' and char_length(u.word) <= 60
           order by u.n limit 10) as w;
  if v_words is null then
    return null;
  end if;
  select array_agg(u.word order by u.n) into v_content
    from unnest(v_words) with ordinality as u(word, n)
   where ts_lexize('pg_catalog.english_stem', u.word) is distinct from '{}'::text[];
  if v_content is not null then
    v_words := v_content;
  end if;

  for i in 1 .. cardinality(v_words) loop
    v_word := v_words[i];
    v_prefix := i = cardinality(v_words);
    v_term := to_tsquery('app_hidden.search', v_word || case when v_prefix then ':*' else '' end);
    if char_length(v_word) >= 3 and v_word !~ '^[0-9]+$'
       and not exists (select 1 from app_hidden.search_words s where s.word = v_word)
       and not (v_prefix and exists (select 1 from app_hidden.search_words s  -- a range, so the index serves it
                                      where s.word >= v_word and s.word < v_word || chr(1114111))) then
      for v_fix in
        select c.word from (select distinct s.word from app_hidden.search_words s
                             where s.word operator(public.%) v_word and public.similarity(s.word, v_word) >= 0.3) as c
         order by public.similarity(c.word, v_word) desc, c.word limit 3
      loop
        v_term := v_term || to_tsquery('app_hidden.search', v_fix);
      end loop;
    end if;
    v_result := case when v_result is null then v_term else v_result && v_term end;
  end loop;
  return v_result;
end;
$$;
comment on function app_hidden.search_query(text) is 'The tsquery of a search box text (stop words, prefix, typo correction); null when it has no word.';

-- Opaque cursors: base64url of a JSON array whose first element names the sort it belongs to.
create or replace function app_hidden.search_cursor_encode(key jsonb) returns text
  language sql immutable strict parallel safe
as $$ select translate(encode(convert_to(key::text, 'UTF8'), 'base64'), E'+/=\n', '-_') $$;

create or replace function app_hidden.search_cursor_decode(cursor text, sort text) returns jsonb
  language plpgsql stable
as $$
declare
  v_key jsonb;
begin
  begin
    v_key := convert_from(decode(rpad(translate(cursor, '-_', '+/'), (char_length(cursor) + 3) / 4 * 4, '='), 'base64'), 'UTF8')::jsonb;
    -- Each part must cast to its type; a forged value fails here rather than in the query.
    if jsonb_typeof(v_key) = 'array' and v_key ->> 0 = sort and (
         (sort = 'date' and jsonb_array_length(v_key) = 3 and (v_key ->> 1)::timestamptz is not null and (v_key ->> 2)::uuid is not null)
      or (sort = 'name' and jsonb_array_length(v_key) = 2 and (v_key ->> 1)::uuid is not null)
      or (sort = 'relevance' and jsonb_array_length(v_key) = 4 and (v_key ->> 1)::real is not null
          and (v_key ->> 2)::timestamptz is not null and (v_key ->> 3)::uuid is not null)) then
      return v_key;
    end if;
  exception when others then
    null; -- reported below, like any other cursor this API did not give out
  end;
  perform app_hidden.raise_error('BXCUR', 'The cursor is not one this API gave out.', '{}'::jsonb);
  return null;
end;
$$;

/*
 * search_events: find events by text and filters, ranked or sorted, one keyset page at a time.
 * Returns at most page_size hits; pass a hit's cursor as `cursor` for the ones after it. Ask for one
 * more than you show to know whether there is a next page.
 */
create or replace function app_public.search_events(
  q text default null,
  from_time timestamptz default null,
  to_time timestamptz default null,
  city text default null,
  country text default null,
  category text default null,
  venue_id uuid default null,
  performer_id uuid default null,
  min_price int default null,
  max_price int default null,
  on_sale_only boolean default false,
  include_past boolean default false,
  include_cancelled boolean default false,
  sort text default null,
  cursor text default null,
  page_size int default 20
) returns setof app_public.event_search_hit
  -- security definer: under row-level security the text match (@@ is not leakproof) could not use the
  -- GIN index (every search became a full scan, 10x slower); the one policy, no drafts, is applied here.
  language plpgsql stable parallel safe security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_query tsquery;
  v_sort text := coalesce(sort, case when nullif(btrim(q), '') is null then 'date' else 'relevance' end);
  v_key jsonb;
  v_where text[] := array[$w$e.status <> 'draft'$w$];
  v_order text;
  v_cursor text;
  v_rank text := '0::real';
  v_sql text;
begin
  if v_sort not in ('relevance', 'date', 'name') then
    perform app_hidden.raise_error('BXSRT', 'sort must be relevance, date or name.', jsonb_build_object('sort', sort));
  end if;
  if page_size is null or page_size < 1 or page_size > 101 then
    perform app_hidden.raise_error('BXSRT', 'page_size must be between 1 and 101.', jsonb_build_object('pageSize', page_size));
  end if;
  if nullif(btrim(q), '') is not null then
    v_query := app_hidden.search_query(q);
    -- A query with no word left ("!!!", "--") finds nothing, rather than everything.
    if v_query is null then
      return;
    end if;
    v_where := v_where || 'e.search_vector @@ $1'::text;
    v_rank := 'ts_rank(''{0.1, 0.2, 0.4, 1.0}'', e.search_vector, $1)';
  elsif v_sort = 'relevance' then
    v_sort := 'date'; -- nothing to rank by
  end if;

  v_where := v_where || case when from_time is not null then 'e.starts_at >= $2'
                             when include_past then 'true' else 'e.starts_at >= now()' end::text;
  if to_time is not null then v_where := v_where || 'e.starts_at < $3'::text; end if;
  if not include_cancelled then v_where := v_where || $w$e.status <> 'cancelled'$w$::text; end if;
  if on_sale_only then v_where := v_where || 'app_public.events_on_sale(e)'::text; end if;
  -- The venues are looked up once (an array), then events are walked in sort order.
  if city is not null then
    v_where := v_where || 'e.venue_id = any(array(select v.id from app_public.venues v where app_hidden.search_normalize(v.city) = app_hidden.search_normalize($4)))'::text;
  end if;
  if country is not null then
    v_where := v_where || 'e.venue_id = any(array(select v.id from app_public.venues v where v.country = upper($5)))'::text;
  end if;
  if category is not null then
    v_where := v_where || 'app_hidden.search_normalize(e.category) = app_hidden.search_normalize($6)'::text;
  end if;
  if venue_id is not null then v_where := v_where || 'e.venue_id = $7'::text; end if;
  if performer_id is not null then
    v_where := v_where || 'exists (select 1 from app_public.event_performers ep where ep.event_id = e.id and ep.performer_id = $8)'::text;
  end if;
  if min_price is not null or max_price is not null then
    v_where := v_where || 'exists (select 1 from app_public.price_tiers pt where pt.event_id = e.id and pt.amount >= coalesce($9, 0) and pt.amount <= coalesce($10, 2147483647))'::text;
  end if;

  if search_events.cursor is not null then
    v_key := app_hidden.search_cursor_decode(search_events.cursor, v_sort);
  end if;
  case v_sort
  when 'date' then
    v_order := 'e.starts_at, e.id';
    v_cursor := $c$jsonb_build_array('date', to_char(e.starts_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), e.id)$c$;
    if v_key is not null then
      v_where := v_where || '(e.starts_at, e.id) > (($11 ->> 1)::timestamptz, ($11 ->> 2)::uuid)'::text;
    end if;
  when 'name' then
    -- Titles can be long: the cursor names the last event and its sort key is looked up.
    v_order := 'lower(e.title), e.id';
    v_cursor := $c$jsonb_build_array('name', e.id)$c$;
    if v_key is not null then
      v_where := v_where || '(lower(e.title), e.id) > (select lower(x.title), x.id from app_public.events x where x.id = ($11 ->> 1)::uuid)'::text;
    end if;
  else
    -- Equal relevance: the sooner event first.
    v_order := 'r.rank desc, e.starts_at, e.id';
    v_cursor := $c$jsonb_build_array('relevance', r.rank, to_char(e.starts_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), e.id)$c$;
  end case;

  if v_sort = 'relevance' and v_key is not null then
    v_where := v_where || '(r.rank < ($11 ->> 1)::real or (r.rank = ($11 ->> 1)::real and (e.starts_at, e.id) > (($11 ->> 2)::timestamptz, ($11 ->> 3)::uuid)))'::text;
  end if;
  v_sql := format($s$
    select e, r.rank, app_hidden.search_cursor_encode(%s)
      from app_public.events e cross join lateral (select %s as rank) as r
     where %s
     order by %s
     limit $12$s$,
    v_cursor, v_rank, array_to_string(v_where, ' and '), v_order);
  return query execute v_sql
    using v_query, from_time, to_time, city, country, category, venue_id, performer_id, min_price, max_price, v_key, page_size;
end;
$$;
comment on function app_public.search_events(text, timestamptz, timestamptz, text, text, text, uuid, uuid, int, int, boolean, boolean, boolean, text, text, int) is
  'Finds events. q searches titles, performers, venues, cities and categories (accent- and case-insensitive, prefixes, typos, stop-word-only names); filters: from_time/to_time (start in [from, to)), city, country, category, venue, performer, price range (some price tier inside it, minor units), on sale now. Upcoming and not cancelled unless include_past/include_cancelled (or an earlier from_time). sort: relevance (default with q), date (default without), name. Keyset pages: pass the last hit''s cursor as cursor for the next page (ask for one more than you show to know whether there is one).';
grant execute on function app_public.search_events(text, timestamptz, timestamptz, text, text, text, uuid, uuid, int, int, boolean, boolean, boolean, text, text, int) to boxoffice_visitor;
grant execute on function app_hidden.search_query(text) to boxoffice_visitor;
grant execute on function app_hidden.unaccent_immutable(text) to boxoffice_visitor;
grant execute on function app_hidden.search_normalize(text) to boxoffice_visitor;
grant execute on function app_hidden.search_cursor_encode(jsonb) to boxoffice_visitor;
grant execute on function app_hidden.search_cursor_decode(text, text) to boxoffice_visitor;

/*
 * search_suggestions: type-ahead completions for what has been typed so far: performers, venues and
 * upcoming events whose names match (the last word as a prefix, typos corrected like search_events).
 * Names that start with the text come first, then performers before venues before events.
 */
create or replace function app_public.search_suggestions(q text, max_count int default 10)
  returns setof app_public.search_suggestion
  -- security definer for the same reason as search_events (index use under RLS); drafts left out here.
  language sql stable parallel safe security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  with input as (
    select app_hidden.search_query(q) as query, app_hidden.search_normalize(left(coalesce(q, ''), 200)) as text,
           least(greatest(coalesce(max_count, 10), 1), 10) as n
  ), candidates as (
    (select 'performer' as kind, 1 as kind_order, p.id, p.name as label, null::text as detail
       from app_public.performers p, input i
      where p.search_vector @@ i.query
      order by ts_rank(p.search_vector, i.query) desc, char_length(p.name), p.id limit 10)
    union all
    (select 'venue', 2, v.id, v.name, concat_ws(', ', v.city, v.country)
       from app_public.venues v, input i
      where v.search_vector @@ i.query
      order by ts_rank(v.search_vector, i.query) desc, char_length(v.name), v.id limit 10)
    union all
    (select 'event', 3, e.id, e.title, to_char(e.starts_at at time zone 'UTC', 'YYYY-MM-DD')
       from app_public.events e, input i
      where e.search_vector @@ i.query and e.starts_at >= now() and e.status not in ('cancelled', 'draft')
      order by ts_rank('{0.01, 0.02, 0.1, 1.0}', e.search_vector, i.query) desc, e.starts_at, e.id limit 10)
  )
  select c.kind, c.id, c.label, c.detail
    from candidates c, input i
   order by starts_with(app_hidden.search_normalize(c.label), i.text) desc, c.kind_order, char_length(c.label), c.label, c.id
   limit (select n from input)
$$;
comment on function app_public.search_suggestions(text, int) is
  'Up to max_count (at most 10) type-ahead completions: performers, venues and upcoming events matching what was typed so far.';
grant execute on function app_public.search_suggestions(text, int) to boxoffice_visitor;
comment on type app_public.event_search_hit is 'An event found by searchEvents, with its relevance and the cursor to pass as `cursor` for the events that follow it.';
