-- Event search: the search document and vocabulary (kept current by triggers, no indexing step),
-- the query builder (stop words, prefixes, typo correction) and search_events / search_suggestions.
-- Normalisation and the text-search configuration are in the migration (stored data depends on them).
-- Helpers called per row do not pin search_path (they are not security definer; names are
-- schema-qualified): a SET clause on the per-event document function cost 4 ms per document instead of 0.2 ms.
-- The statement-level refreshes are security definer (admins edit the catalogue but may not write
-- the search columns or the vocabulary themselves); they pin search_path once per statement.

/*
 * The search fields of an event, from its own columns, its performers and its venue: the two
 * documents and the venue's city and country (see migration 000005).
 */
create or replace function app_hidden.event_search_fields(
  event_id uuid, title text, description text, category text, genre text, venue_id uuid,
  out title_vector tsvector, out detail_vector tsvector, out venue_city_key text, out venue_country text)
  -- plpgsql rather than sql: its plans are cached for the session, which matters for bulk imports.
  -- Volatile: each query in it reads what is committed when it runs, not when the statement began.
  -- Two transactions that refresh the same event wait for each other on the event's row, and the
  -- second then recomputes it (EvalPlanQual) with the first one's change in view; a stable function
  -- would recompute it from the older snapshot and undo that change.
  language plpgsql volatile parallel safe
as $$
declare
  v_performers text;
  v_venue text;
  v_city text;
begin
  select string_agg(p.name, ' ' order by ep.position, p.name) into v_performers
    from app_public.event_performers ep join app_public.performers p on p.id = ep.performer_id
   where ep.event_id = event_search_fields.event_id;
  select v.name, v.city, v.country into v_venue, v_city, venue_country
    from app_public.venues v where v.id = event_search_fields.venue_id;
  title_vector := to_tsvector('app_hidden.search'::regconfig, app_hidden.search_normalize(coalesce(title, '')))
               || to_tsvector('app_hidden.search'::regconfig, app_hidden.search_normalize(coalesce(v_performers, '')));
  detail_vector := to_tsvector('app_hidden.search'::regconfig, app_hidden.search_normalize(concat_ws(' ', v_venue, v_city, category, genre)))
                || to_tsvector('app_hidden.search'::regconfig, app_hidden.search_normalize(left(coalesce(description, ''), 4000)));
  venue_city_key := app_hidden.search_key(v_city);
end;
$$;
comment on function app_hidden.event_search_fields(uuid, text, text, text, text, uuid) is
  'An event''s search documents (title and performers; venue, city, category, genre, description) and its venue''s city and country.';
-- The row trigger that fills them runs as whoever writes the event: admins too.
grant execute on function app_hidden.event_search_fields(uuid, text, text, text, text, uuid) to boxoffice_admin;

create or replace function app_hidden.events_set_search_fields() returns trigger
  language plpgsql volatile
as $$
begin
  -- An event placed at a venue waits for a change of that venue in progress (city, name), and such
  -- a change waits for it: otherwise each would miss the other and the event would keep the old city.
  if tg_op = 'INSERT' or new.venue_id is distinct from old.venue_id then
    perform 1 from app_public.venues v where v.id = new.venue_id for share;
  end if;
  select f.title_vector, f.detail_vector, f.venue_city_key, f.venue_country
    into new.title_vector, new.detail_vector, new.venue_city_key, new.venue_country
    from app_hidden.event_search_fields(new.id, new.title, new.description, new.category, new.genre, new.venue_id) f;
  return new;
end;
$$;

-- Recomputes the documents of the given events (after their performers or venue changed).
create or replace function app_hidden.refresh_event_search(event_ids uuid[]) returns void
  language sql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  update app_public.events e
     set (title_vector, detail_vector, venue_city_key, venue_country) =
       (select f.title_vector, f.detail_vector, f.venue_city_key, f.venue_country
          from app_hidden.event_search_fields(e.id, e.title, e.description, e.category, e.genre, e.venue_id) f)
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
  -- Performers added to events wait for a rename in progress and the reverse, as venues do above.
  if tg_op in ('INSERT', 'UPDATE') then
    perform 1 from app_public.performers p where p.id in (select n.performer_id from new_rows n) order by p.id for share;
  end if;
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
     where (n.name, n.city, n.country) is distinct from (o.name, o.city, o.country)));
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

drop trigger if exists _100_search_fields on app_public.events;
create trigger _100_search_fields before insert or update of title, description, category, genre, venue_id
  on app_public.events for each row execute function app_hidden.events_set_search_fields();

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

drop trigger if exists _500_search_update on app_public.venues;
create trigger _500_search_update after update on app_public.venues
  referencing new table as new_rows old table as old_rows for each statement execute function app_hidden.venues_refresh_search();

-- New words of events, performers and venues, inserted or updated, go into the vocabulary.
do $$
declare
  t text;
begin
  foreach t in array array['events', 'performers', 'venues'] loop
    execute format('drop trigger if exists _500_search_words_insert on app_public.%I', t);
    execute format('drop trigger if exists _500_search_words_update on app_public.%I', t);
    execute format('create trigger _500_search_words_insert after insert on app_public.%I referencing new table as new_rows
                    for each statement execute function app_hidden.search_words_add()', t);
    execute format('create trigger _500_search_words_update after update on app_public.%I referencing new table as new_rows
                    for each statement execute function app_hidden.search_words_add()', t);
  end loop;
end
$$;

-- Rows that existed before search did (cheap when there are none).
select app_hidden.refresh_event_search(array(select e.id from app_public.events e where e.title_vector is null));
insert into app_hidden.search_words (word)
select distinct w.word
  from (select concat_ws(' ', title, category, genre) as t from app_public.events
        union all select name from app_public.performers
        union all select concat_ws(' ', name, city) from app_public.venues) as s,
       regexp_split_to_table(app_hidden.search_normalize(s.t), ' ') as w(word)
 where char_length(w.word) between 3 and 40
   and not exists (select 1 from app_hidden.search_words);

/*
 * The words of a search box, each as a tsquery: null when the text has no word at all. An event
 * matches a search when it matches every term (in its title, performers, venue, city, category or
 * description).
 * - Only the first 10 words (of the first 1,000 characters) count; longer words than 60 are ignored.
 * - Stop words are left out unless the query is only stop words ("The Who", "Take That" still work).
 * - The last word is a prefix (people type).
 * - A word that is in no title, performer, venue, city or category is also matched as its three
 *   nearest words of the vocabulary (trigram similarity >= 0.3): one or two letters off still finds.
 */
create or replace function app_hidden.search_terms(q text) returns tsquery[]
  language plpgsql stable parallel safe
as $$
declare
  v_words text[];
  v_content text[];
  v_result tsquery[] := '{}';
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
    v_result := v_result || v_term;
  end loop;
  return v_result;
end;
$$;
comment on function app_hidden.search_terms(text) is 'The words of a search box text as tsqueries, one per word (stop words, prefix, typo correction); null when it has no word.';

-- All the terms together (an event must match each): null when there are none.
create or replace function app_hidden.search_all_terms(terms tsquery[]) returns tsquery
  language plpgsql immutable parallel safe
as $$
declare
  v_term tsquery;
  v_result tsquery;
begin
  foreach v_term in array coalesce(terms, '{}') loop
    v_result := case when v_result is null then v_term else v_result && v_term end;
  end loop;
  return v_result;
end;
$$;

create or replace function app_hidden.search_query(q text) returns tsquery
  language sql stable parallel safe
as $$ select app_hidden.search_all_terms(app_hidden.search_terms(q)) $$;
comment on function app_hidden.search_query(text) is 'The tsquery of a search box text: all its terms (see search_terms); null when it has no word.';

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
      or (sort = 'name' and jsonb_array_length(v_key) = 3 and jsonb_typeof(v_key -> 1) = 'string'
          and char_length(v_key ->> 1) <= 64 and (v_key ->> 2)::uuid is not null)
      or (sort = 'relevance' and jsonb_array_length(v_key) = 4 and (v_key ->> 1)::real in (1, 0.5)
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
 * Whether the planner's statistics list a word of the term (or, for a prefix, a word it starts)
 * among the common words of events.detail_vector. A word they leave out is rare in the details,
 * but when the details hold few distinct words PostgreSQL still assumes it is in 0.5% of events,
 * and went through the whole start-time index looking for one that is in none (4 s on a million
 * events).
 */
create or replace function app_hidden.search_term_common_in_details(term tsquery) returns boolean
  language sql stable parallel safe
as $$
  select exists (
    select 1
      from pg_catalog.pg_stats s,
           unnest(s.most_common_elems::text::text[]) as m(lexeme),
           regexp_matches(term::text, '''([^'']+)''(:\*)?', 'g') as w(parts)
     where s.schemaname = 'app_public' and s.tablename = 'events' and s.attname = 'detail_vector'
       and (m.lexeme = w.parts[1] or (w.parts[2] is not null and starts_with(m.lexeme, w.parts[1]))))
$$;

/*
 * search_events: find events by text and filters, ranked or sorted, one keyset page at a time.
 * Returns at most page_size hits; pass a hit's cursor as `cursor` for the ones after it. Ask for one
 * more than you show to know whether there is a next page.
 *
 * Relevance has two tiers, each in start-time order: events whose title or performers hold every
 * word (rank 1), then events where some word is only in the venue, city, category, genre or
 * description (rank 0.5). Each tier is one query ordered by (starts_at, id), so the planner can
 * read a common word's matches from the start-time index and stop after a page, or a rare word's
 * matches from the text index and sort the few found; ranking every match first (ts_rank) cost
 * 80-210 ms for a common word on a million events. The lower tier is written as "some word in the
 * details and not in the title" rather than "not the upper tier", so that its row estimate comes
 * from the details document's own statistics: a word found only in titles then reads as rare there
 * instead of sending the planner down the whole start-time index.
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
  v_terms tsquery[];
  v_all tsquery;
  v_sort text := coalesce(sort, case when nullif(btrim(q), '') is null then 'date' else 'relevance' end);
  v_key jsonb;
  v_where text[] := array[$w$e.status <> 'draft'$w$];
  v_text text;   -- every word in the title, performers or details (each word in one or the other)
  v_title text;  -- every word in the title or performers: the upper relevance tier
  v_rest text;   -- the lower tier: every word somewhere, some word only in the details
  v_rank text := '0';
  v_date_key constant text := $c$to_char(e.starts_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')$c$;
  v_after_date constant text := '(e.starts_at, e.id) > ((%s)::timestamptz, (%s)::uuid)';
  -- One page: the ids in order from whichever index suits, then the rows and cursors of those only.
  -- The page size stays a parameter ($12): planned for an unknown limit, the planner walks the
  -- start-time index only for words with many matches (docs/search.md).
  v_page constant text := $s$
    select e, %s::real, app_hidden.search_cursor_encode(%s)
      from (select e.id, %s as sort_key from app_public.events e where %s order by 2, 1 limit $12) as x
      join app_public.events e on e.id = x.id
     order by x.sort_key, x.id$s$;
  v_upper boolean;
  v_found int := 0;
begin
  -- An empty filter is no filter (forms send empty fields), like an empty q.
  city := nullif(btrim(city), '');
  country := nullif(btrim(country), '');
  category := nullif(btrim(category), '');
  if v_sort not in ('relevance', 'date', 'name') then
    perform app_hidden.raise_error('BXSRT', 'sort must be relevance, date or name.', jsonb_build_object('sort', sort));
  end if;
  if page_size is null or page_size < 1 or page_size > 101 then
    perform app_hidden.raise_error('BXSRT', 'page_size must be between 1 and 101.', jsonb_build_object('pageSize', page_size));
  end if;
  if nullif(btrim(q), '') is not null then
    v_terms := app_hidden.search_terms(q);
    -- A query with no word left ("!!!", "--") finds nothing, rather than everything.
    if v_terms is null then
      return;
    end if;
    v_all := app_hidden.search_all_terms(v_terms);
    -- tsqueries are inlined as literals: the planner estimates each from the column statistics.
    v_title := format('e.title_vector @@ %L::tsquery', v_all);
    v_text := format('(e.title_vector || e.detail_vector) @@ %L::tsquery', v_all);
    v_rank := format('case when %s then 1 else 0.5 end', v_title);
  elsif v_sort = 'relevance' then
    v_sort := 'date'; -- nothing to rank by
  end if;

  v_where := v_where || case when from_time is not null then 'e.starts_at >= $2'
                             when include_past then 'true' else 'e.starts_at >= now()' end::text;
  if to_time is not null then v_where := v_where || 'e.starts_at < $3'::text; end if;
  if not include_cancelled then v_where := v_where || $w$e.status <> 'cancelled'$w$::text; end if;
  if on_sale_only then v_where := v_where || 'app_public.events_on_sale(e)'::text; end if;
  if city is not null then v_where := v_where || 'e.venue_city_key = app_hidden.search_key($4)'::text; end if;
  if country is not null then v_where := v_where || 'e.venue_country = upper($5)'::text; end if;
  if category is not null then v_where := v_where || 'e.category_key = app_hidden.search_key($6)'::text; end if;
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

  if v_sort = 'relevance' then
    -- The cursor's rank tells the tier it is in: the upper tier's pages come first.
    v_upper := v_key is null or (v_key ->> 1)::real >= 1;
    if v_upper then
      return query execute format(v_page, '1', format($c$jsonb_build_array('relevance', 1, %s, e.id)$c$, v_date_key), 'e.starts_at',
          array_to_string(v_where || v_title || case when v_key is not null then format(v_after_date, '$11 ->> 2', '$11 ->> 3') end, ' and '))
        using null::text, from_time, to_time, city, country, category, venue_id, performer_id, min_price, max_price, v_key, page_size;
      get diagnostics v_found = row_count;
    end if;
    if v_found < page_size then
      -- The lower tier, built only when the upper one leaves room on the page (it reads pg_stats).
      select string_agg(format('(e.detail_vector @@ %1$L::tsquery and not e.title_vector @@ %1$L::tsquery)', t), ' or ')
        into v_rest
        from unnest(v_terms) as t;
      -- Several words: all of them somewhere, and some only in the details. One word common in the
      -- details: in the details and not in the title says it all, and its estimate is right. Any
      -- other word is rare in the details: the whole-document condition, redundant as it is, makes
      -- the estimate small enough that the planner reads the few matches from the text indexes.
      -- With it, the rest is only checked on the rows it finds ("is true" keeps it out of the index
      -- scan: ANDed in, the details index read all 125,000 entries of "comedy", 20 ms).
      if cardinality(v_terms) > 1 or not app_hidden.search_term_common_in_details(v_terms[1]) then
        v_rest := v_text || ' and (' || v_rest || ') is true';
      end if;
      return query execute format(v_page, '0.5', format($c$jsonb_build_array('relevance', 0.5, %s, e.id)$c$, v_date_key), 'e.starts_at',
          array_to_string(v_where || v_rest || case when not v_upper then format(v_after_date, '$11 ->> 2', '$11 ->> 3') end, ' and '))
        using null::text, from_time, to_time, city, country, category, venue_id, performer_id, min_price, max_price, v_key, page_size - v_found;
    end if;
    return;
  end if;

  if v_text is not null then v_where := v_where || v_text; end if;
  if v_sort = 'date' then
    if v_key is not null then v_where := v_where || format(v_after_date, '$11 ->> 1', '$11 ->> 2'); end if;
    return query execute format(v_page, v_rank, format($c$jsonb_build_array('date', %s, e.id)$c$, v_date_key), 'e.starts_at',
        array_to_string(v_where, ' and '))
      using null::text, from_time, to_time, city, country, category, venue_id, performer_id, min_price, max_price, v_key, page_size;
  else
    -- Titles can be long and a cursor is at most 500 characters: it carries the title's first 64
    -- characters and the id. The event's whole title is the key while it still begins that way; an
    -- event retitled or deleted since leaves the 64 characters as the position (exact for titles
    -- that short; a longer one may show again an event that shares its first 64 characters).
    if v_key is not null then
      v_where := v_where || $c$(lower(e.title), e.id) > (coalesce((select lower(c.title) from app_public.events c
                               where c.id = ($11 ->> 2)::uuid and left(lower(c.title), 64) = $11 ->> 1), $11 ->> 1), ($11 ->> 2)::uuid)$c$::text;
    end if;
    return query execute format(v_page, v_rank, $c$jsonb_build_array('name', left(lower(e.title), 64), e.id)$c$, 'lower(e.title)', array_to_string(v_where, ' and '))
      using null::text, from_time, to_time, city, country, category, venue_id, performer_id, min_price, max_price, v_key, page_size;
  end if;
end;
$$;
comment on function app_public.search_events(text, timestamptz, timestamptz, text, text, text, uuid, uuid, int, int, boolean, boolean, boolean, text, text, int) is
  'Finds events. q searches titles, performers, venues, cities, categories and descriptions (accent- and case-insensitive, prefixes, typos, stop-word-only names); filters: from_time/to_time (start in [from, to)), city, country, category, venue, performer, price range (some price tier inside it, minor units), on sale now. Upcoming and not cancelled unless include_past/include_cancelled (or an earlier from_time). sort: relevance (default with q: rank 1 when the title or performers hold every word, else 0.5; soonest first within a rank), date (default without), name. Keyset pages: pass the last hit''s cursor as cursor for the next page (ask for one more than you show to know whether there is one).';
grant execute on function app_public.search_events(text, timestamptz, timestamptz, text, text, text, uuid, uuid, int, int, boolean, boolean, boolean, text, text, int) to boxoffice_visitor;
grant execute on function app_hidden.search_terms(text) to boxoffice_visitor;
grant execute on function app_hidden.search_query(text) to boxoffice_visitor;
grant execute on function app_hidden.search_all_terms(tsquery[]) to boxoffice_visitor;
grant execute on function app_hidden.unaccent_immutable(text) to boxoffice_visitor;
grant execute on function app_hidden.search_normalize(text) to boxoffice_visitor;
grant execute on function app_hidden.search_cursor_encode(jsonb) to boxoffice_visitor;
grant execute on function app_hidden.search_cursor_decode(text, text) to boxoffice_visitor;

/*
 * search_suggestions: type-ahead completions for what has been typed so far: performers, venues and
 * upcoming events whose names match (the last word as a prefix, typos corrected like search_events).
 * Names that start with the text come first, then performers before venues before events; events
 * the soonest first, with their local date. They are the soonest whose title or performers match:
 * read in start-time order, like
 * search_events' upper tier (the tsquery is inlined so the planner can choose that order).
 */
create or replace function app_public.search_suggestions(q text, max_count int default 10)
  returns setof app_public.search_suggestion
  -- security definer for the same reason as search_events (index use under RLS); drafts left out here.
  language plpgsql stable parallel safe security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_query tsquery := app_hidden.search_query(q);
begin
  if v_query is null then
    return;
  end if;
  return query execute format($q$
    with candidates as (
      (select 'performer' as kind, 1 as kind_order, p.id, p.name as label, null::text as detail, null::timestamptz as starts_at
         from app_public.performers p
        where p.search_vector @@ %1$L::tsquery
        order by ts_rank(p.search_vector, %1$L::tsquery) desc, char_length(p.name), p.id limit 10)
      union all
      (select 'venue', 2, v.id, v.name, concat_ws(', ', v.city, v.country), null
         from app_public.venues v
        where v.search_vector @@ %1$L::tsquery
        order by ts_rank(v.search_vector, %1$L::tsquery) desc, char_length(v.name), v.id limit 10)
      union all
      (select 'event', 3, e.id, e.title, to_char(e.starts_at at time zone coalesce(v.timezone, 'UTC'), 'YYYY-MM-DD'), e.starts_at
         from app_public.events e left join app_public.venues v on v.id = e.venue_id
        where e.title_vector @@ %1$L::tsquery and e.starts_at >= now() and e.status not in ('cancelled', 'draft')
        order by e.starts_at, e.id limit 10)
    )
    select c.kind, c.id, c.label, c.detail
      from candidates c
     order by starts_with(app_hidden.search_normalize(c.label), %2$L) desc, c.kind_order, c.starts_at, char_length(c.label), c.label, c.id
     limit %3$s$q$,
    v_query, app_hidden.search_normalize(left(coalesce(q, ''), 200)), least(greatest(coalesce(max_count, 10), 1), 10));
end;
$$;
comment on function app_public.search_suggestions(text, int) is
  'Up to max_count (at most 10) type-ahead completions: performers, venues and upcoming events matching what was typed so far.';
grant execute on function app_public.search_suggestions(text, int) to boxoffice_visitor;
comment on type app_public.event_search_hit is 'An event found by searchEvents, with its relevance and the cursor to pass as `cursor` for the events that follow it.';
