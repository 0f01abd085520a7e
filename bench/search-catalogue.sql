-- A synthetic catalogue for the search benchmark: :events events (1,000,000 by default) at 2,000
-- venues in 60 real cities, 30,000 performers with realistic names (persons and bands), one price
-- tier each, dates from 6 months ago to 18 months ahead, 4% cancelled. Set-based (generate_series),
-- so it takes minutes, not hours. The search documents are built by the function the triggers use,
-- once per event. Run by bench/search.ts in one transaction, :events replaced (the per-row title trigger is paused during the bulk insert, as it would compute a
-- document without performers that the next statement replaces anyway).
create temporary table cities (n int, city text, country text, tz text) on commit drop;
insert into cities
select row_number() over (), c[1], c[2], c[3] from (values
  ('{London,GB,Europe/London}'::text[]), ('{Manchester,GB,Europe/London}'), ('{Glasgow,GB,Europe/London}'), ('{Dublin,IE,Europe/Dublin}'),
  ('{Paris,FR,Europe/Paris}'), ('{Lyon,FR,Europe/Paris}'), ('{Marseille,FR,Europe/Paris}'), ('{Berlin,DE,Europe/Berlin}'),
  ('{Hamburg,DE,Europe/Berlin}'), ('{München,DE,Europe/Berlin}'), ('{Köln,DE,Europe/Berlin}'), ('{Zürich,CH,Europe/Zurich}'),
  ('{Genève,CH,Europe/Zurich}'), ('{Wien,AT,Europe/Vienna}'), ('{Amsterdam,NL,Europe/Amsterdam}'), ('{Rotterdam,NL,Europe/Amsterdam}'),
  ('{Bruxelles,BE,Europe/Brussels}'), ('{Antwerpen,BE,Europe/Brussels}'), ('{København,DK,Europe/Copenhagen}'), ('{Stockholm,SE,Europe/Stockholm}'),
  ('{Göteborg,SE,Europe/Stockholm}'), ('{Oslo,NO,Europe/Oslo}'), ('{Helsinki,FI,Europe/Helsinki}'), ('{Reykjavík,IS,Atlantic/Reykjavik}'),
  ('{Madrid,ES,Europe/Madrid}'), ('{Barcelona,ES,Europe/Madrid}'), ('{Sevilla,ES,Europe/Madrid}'), ('{Lisboa,PT,Europe/Lisbon}'),
  ('{Porto,PT,Europe/Lisbon}'), ('{Roma,IT,Europe/Rome}'), ('{Milano,IT,Europe/Rome}'), ('{Napoli,IT,Europe/Rome}'),
  ('{Praha,CZ,Europe/Prague}'), ('{Kraków,PL,Europe/Warsaw}'), ('{Warszawa,PL,Europe/Warsaw}'), ('{Budapest,HU,Europe/Budapest}'),
  ('{New York,US,America/New_York}'), ('{Brooklyn,US,America/New_York}'), ('{Boston,US,America/New_York}'), ('{Chicago,US,America/Chicago}'),
  ('{Austin,US,America/Chicago}'), ('{Nashville,US,America/Chicago}'), ('{Denver,US,America/Denver}'), ('{Los Angeles,US,America/Los_Angeles}'),
  ('{San Francisco,US,America/Los_Angeles}'), ('{Seattle,US,America/Los_Angeles}'), ('{Las Vegas,US,America/Los_Angeles}'), ('{Miami,US,America/New_York}'),
  ('{Atlanta,US,America/New_York}'), ('{Toronto,CA,America/Toronto}'), ('{Montréal,CA,America/Toronto}'), ('{Vancouver,CA,America/Vancouver}'),
  ('{México,MX,America/Mexico_City}'), ('{São Paulo,BR,America/Sao_Paulo}'), ('{Buenos Aires,AR,America/Argentina/Buenos_Aires}'), ('{Sydney,AU,Australia/Sydney}'),
  ('{Melbourne,AU,Australia/Melbourne}'), ('{Tokyo,JP,Asia/Tokyo}'), ('{Osaka,JP,Asia/Tokyo}'), ('{Seoul,KR,Asia/Seoul}')) as t(c);

insert into app_public.venues (source, source_id, name, city, country, timezone)
select 'bench', 'v' || g, (array['The', 'Royal', 'Grand', 'Old', 'New', 'Blue', 'Red', 'Union', 'Harbour', 'Park', 'Central', 'Electric', 'Crystal', 'Victoria', 'Empire', 'Liberty'])[1 + g % 16]
       || ' ' || (array['Opera House', 'Arena', 'Theatre', 'Hall', 'Ballroom', 'Stadium', 'Club', 'Music Hall', 'Amphitheatre', 'Garden', 'Palace', 'Lounge', 'Jazz Café', 'Playhouse'])[1 + (g / 16) % 14]
       || case when g > 224 then ' ' || c.city else '' end,
       c.city, c.country, c.tz
  from generate_series(1, 2000) g join cities c on c.n = 1 + g % 60;

insert into app_public.performers (source, source_id, name)
select 'bench', 'p' || g,
       case when g % 3 = 0 then 'The ' || (array['Black', 'Silver', 'Electric', 'Midnight', 'Velvet', 'Wild', 'Golden', 'Crimson', 'Lonely', 'Neon', 'Rolling', 'Arctic', 'Killer', 'Flaming', 'Broken', 'Smashing', 'Foo', 'Red Hot', 'White', 'Happy'])[1 + g % 20]
                               || ' ' || (array['Keys', 'Stones', 'Monkeys', 'Lips', 'Pumpkins', 'Fighters', 'Peppers', 'Stripes', 'Mondays', 'Hearts', 'Wolves', 'Tigers', 'Horses', 'Rivers', 'Shadows', 'Machines', 'Strangers', 'Saints', 'Echoes', 'Ghosts', 'Kings', 'Queens', 'Lovers', 'Dreamers', 'Riders'])[1 + (g / 20) % 25]
                               || case when g > 1500 then ' ' || (g / 500)::text else '' end
            when g % 3 = 1 then (array['Anna', 'Björn', 'Chloé', 'Daniel', 'Elena', 'François', 'Greta', 'Hannah', 'Ivan', 'José', 'Kenji', 'Laura', 'Mateo', 'Nora', 'Oliver', 'Paula', 'Quentin', 'Rosa', 'Søren', 'Tomás', 'Ursula', 'Victor', 'Wanda', 'Xavier', 'Yuki', 'Zoë', 'Amélie', 'Bruce', 'Carlos', 'Dolores'])[1 + g % 30]
                               || ' ' || (array['Smith', 'Müller', 'García', 'Rossi', 'Dubois', 'Jensen', 'Kowalski', 'Nakamura', 'Okafor', 'Haddad', 'Springsteen', 'Brändli', 'Novák', 'Silva', 'Andersson', 'Fernández', 'O''Connor', 'McCartney', 'Petrović', 'Costa', 'Lindqvist', 'Ørsted', 'Schäfer', 'Moreau', 'Kim', 'Tanaka', 'Wójcik', 'Horváth', 'Ivanova', 'Santos', 'Bergström', 'De Luca', 'Van Dyke', 'Nielsen', 'Yamamoto'])[1 + (g / 30) % 35]
                               || case when g > 3150 then ' ' || (array['Trio', 'Quartet', 'Band', 'Orchestra', 'Ensemble', 'Collective', 'Project', 'Experience', 'Quintet', 'Big Band'])[1 + (g / 3150) % 10] else '' end
            else (array['DJ', 'MC', 'Lil', 'Big', 'Young', 'Saint', 'Miss', 'Sir', 'Kid', 'Doctor'])[1 + g % 10] || ' '
                 || (array['Nova', 'Echo', 'Blaze', 'Storm', 'Raven', 'Phoenix', 'Jade', 'Onyx', 'Vega', 'Atlas', 'Orion', 'Luna', 'Sol', 'Zephyr', 'Ember', 'Indigo', 'Mo''Town', 'Sasha-Rae', 'Jay-Z', 'AC/DC'])[1 + (g / 10) % 20]
                 || case when g > 200 then '-' || (g / 200)::text else '' end
       end
  from generate_series(1, 30000) g;

-- Numbered copies, so that the big inserts below join on integers (hash joins), not on text keys.
create temporary table bv on commit drop as
  select row_number() over (order by source_id) as n, id, name from app_public.venues where source = 'bench';
create temporary table bp on commit drop as
  select row_number() over (order by source_id) as n, id, name from app_public.performers where source = 'bench';
alter table bv add primary key (n);
alter table bp add primary key (n);
analyze bv;
analyze bp;

alter table app_public.events disable trigger _100_search_fields;
create temporary table be on commit drop as
select g, v.id as venue_id, v.name as venue_name, p.id as headliner, p.name as headliner_name,
       (select q.id from bp q where q.n = 1 + (g * 13 + 5) % 30000) as support
  from generate_series(1, :events) g
  join bv v on v.n = 1 + (g * 31) % 2000
  join bp p on p.n = 1 + (g * 7) % 30000;
insert into app_public.events (source, source_id, venue_id, title, category, genre, starts_at, status, currency, sale_starts_at)
select 'bench', 'e' || be.g, be.venue_id,
       be.headliner_name || (array[' — World Tour', ' Live', ': Greatest Hits', ' in Concert', ' — Farewell Tour', ' Unplugged', ' & Friends', ': The Anniversary Show', ' Live at ' || be.venue_name, ' — Summer Festival'])[1 + be.g % 10],
       (array['Music', 'Music', 'Music', 'Music', 'Sports', 'Arts & Theatre', 'Comedy', 'Family'])[1 + be.g % 8],
       (array['Rock', 'Pop', 'Jazz', 'Hip-Hop/Rap', 'Classical', 'Electronic', 'Country', 'R&B', 'Metal', 'Folk'])[1 + (be.g / 8) % 10],
       date_trunc('hour', now()) - interval '180 days' + make_interval(hours => ((be.g::bigint * 7919) % (720 * 24))::int),
       case when be.g % 25 = 0 then 'cancelled' else 'published' end, 'EUR',
       now() - interval '200 days'
  from be;
alter table app_public.events enable trigger _100_search_fields;

-- Headliner from the title, a support act for every third event. The trigger's own refresh is
-- paused here and called right after ANALYZE: inside this transaction the statistics still say
-- event_performers is empty, and the per-event lookup would scan the whole table each time.
create temporary table bid on commit drop as
  select substr(e.source_id, 2)::int as g, e.id from app_public.events e where e.source = 'bench';
alter table app_public.event_performers disable trigger _500_search_insert;
insert into app_public.event_performers (event_id, performer_id, position)
select bid.id, be.headliner, 0 from bid join be on be.g = bid.g
union all
select bid.id, be.support, 1 from bid join be on be.g = bid.g where be.g % 3 = 0 and be.support <> be.headliner;
alter table app_public.event_performers enable trigger _500_search_insert;
analyze app_public.event_performers;
analyze app_public.events;
select app_hidden.refresh_event_search(array(select bid.id from bid));

insert into app_public.price_tiers (event_id, name, amount, currency)
select bid.id, 'Standard', 1500 + (bid.g * 37) % 20000, 'EUR' from bid;
