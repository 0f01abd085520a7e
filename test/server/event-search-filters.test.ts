// Search filters, sort orders, keyset paging that stays exact under ties at depth, type-ahead
// suggestions, and search documents that follow changes to performers and venues with no indexing step.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { ownerPool } from '../helpers/db.ts';
import { startTestServer } from '../helpers/server.ts';
import { allPages, makeSearchEvent, makeVenue, searchIds } from '../helpers/search.ts';

const pool = ownerPool(4);
const server = await startTestServer();
t.teardown(async () => {
  await server.close();
  await pool.end();
});

// A made-up word no other test uses, in every title of this file.
const tag = `srch${randomUUID().replace(/-/g, '').slice(0, 8)}`;
const zurich = await makeVenue(pool, { city: 'Zürich', country: 'CH' });
const lyon = await makeVenue(pool, { name: `Halle Tony Garnier ${tag}`, city: 'Lyon', country: 'FR' });

const e = {
  rockZurich: await makeSearchEvent(pool, zurich, { title: `Rock Night ${tag}`, category: 'Music', startsIn: '10 days', price: 3000 }),
  jazzLyon: await makeSearchEvent(pool, lyon, { title: `Jazz Evening ${tag}`, category: 'Music', startsIn: '20 days', price: 9000 }),
  comedyLyon: await makeSearchEvent(pool, lyon, { title: `Comedy Club ${tag}`, category: 'Comedy', startsIn: '40 days', price: 2000 }),
  past: await makeSearchEvent(pool, zurich, { title: `Past Show ${tag}`, startsIn: '-3 days' }),
  cancelled: await makeSearchEvent(pool, zurich, { title: `Cancelled Show ${tag}`, status: 'cancelled', startsIn: '15 days' }),
  draft: await makeSearchEvent(pool, zurich, { title: `Draft Show ${tag}`, status: 'draft', startsIn: '15 days' }),
  // Relevance: the word in the title outranks the word only in the description.
  inDescription: await makeSearchEvent(pool, zurich, { title: `Quiet Evening ${tag}`, description: 'An evening of marimba music', startsIn: '5 days' }),
  inTitle: await makeSearchEvent(pool, zurich, { title: `Marimba Masters ${tag}`, startsIn: '50 days' }),
};
const visible = [e.rockZurich, e.jazzLyon, e.comedyLyon, e.inDescription, e.inTitle];
const set = (ids: string[]) => [...ids].sort();

t.test('past, cancelled and draft events are left out by default; filters bring past and cancelled back', async (t) => {
  t.same(set((await searchIds(server, { q: tag })).ids), set(visible), 'upcoming published events only');
  t.ok((await searchIds(server, { q: tag, includePast: true })).ids.includes(e.past), 'includePast');
  t.ok((await searchIds(server, { q: tag, from: new Date(Date.now() - 7 * 864e5).toISOString() })).ids.includes(e.past), 'an earlier from');
  t.ok((await searchIds(server, { q: tag, includeCancelled: true })).ids.includes(e.cancelled), 'includeCancelled');
  const everything = await searchIds(server, { q: tag, includePast: true, includeCancelled: true });
  t.notOk(everything.ids.includes(e.draft), 'drafts never');
});

t.test('filters', async (t) => {
  const day = (days: number) => new Date(Date.now() + days * 864e5).toISOString().slice(0, 10);
  const cases: Array<[string, Record<string, string | number | boolean>, string[]]> = [
    ['city without accent', { city: 'zurich' }, [e.rockZurich, e.inDescription, e.inTitle]],
    ['city with accent and case', { city: 'ZÜRICH' }, [e.rockZurich, e.inDescription, e.inTitle]],
    ['country', { country: 'fr' }, [e.jazzLyon, e.comedyLyon]],
    ['category', { category: 'comedy' }, [e.comedyLyon]],
    ['venue', { venue: lyon }, [e.jazzLyon, e.comedyLyon]],
    ['from/to as dates, to inclusive', { from: day(9), to: day(20) }, [e.rockZurich, e.jazzLyon]],
    ['from/to as date-times', { from: new Date(Date.now() + 15 * 864e5).toISOString(), to: new Date(Date.now() + 45 * 864e5).toISOString() }, [e.jazzLyon, e.comedyLyon]],
    ['minPrice', { minPrice: 8000 }, [e.jazzLyon]],
    ['maxPrice', { maxPrice: 2500 }, [e.comedyLyon]],
    ['price range', { minPrice: 2500, maxPrice: 9000 }, [e.rockZurich, e.jazzLyon, e.inDescription, e.inTitle]],
    ['onSaleOnly and a city', { onSaleOnly: true, city: 'lyon' }, [e.jazzLyon, e.comedyLyon]],
    ['a venue name is searched', { q: `garnier ${tag}` }, [e.jazzLyon, e.comedyLyon]],
    ['empty filters are no filters (as an HTML form sends them)', { city: '', country: '', category: '' }, visible],
  ];
  for (const [name, filter, expected] of cases) {
    const res = await searchIds(server, { q: tag, ...filter });
    t.equal(res.status, 200, `${name}: 200`);
    t.same(set(res.ids), set(expected), name);
  }
  const filterOnly = await searchIds(server, { venue: lyon, category: 'music' });
  t.same(filterOnly.ids, [e.jazzLyon], 'filters without q');
});

t.test('sort orders', async (t) => {
  const relevance = await searchIds(server, { q: `marimba ${tag}` });
  t.same(relevance.ids, [e.inTitle, e.inDescription], 'relevance: a title match above a description match, though later');
  const byDate = await searchIds(server, { q: tag, sort: 'date' });
  t.same(byDate.ids, [e.inDescription, e.rockZurich, e.jazzLyon, e.comedyLyon, e.inTitle], 'date');
  const byName = await searchIds(server, { q: tag, sort: 'name' });
  t.same(byName.ids, [e.comedyLyon, e.jazzLyon, e.inTitle, e.inDescription, e.rockZurich], 'name');
  const noQuery = await searchIds(server, { venue: lyon });
  t.same(noQuery.ids, [e.jazzLyon, e.comedyLyon], 'without q: by date');
});

t.test('keyset paging at depth, stable under ties', async (t) => {
  // 45 events with the same title words, the same start time and so the same rank: only the id
  // tells them apart.
  const tie = `tie${randomUUID().replace(/-/g, '').slice(0, 8)}`;
  const venue = await makeVenue(pool);
  const ids: string[] = [];
  for (let i = 0; i < 45; i++) ids.push(await makeSearchEvent(pool, venue, { title: `Tied Gala ${tie}`, startsIn: '60 days' }));
  await pool.query(`update app_public.events set starts_at = date_trunc('second', now()) + interval '60 days' where id = any($1)`, [ids]);
  for (const sort of ['relevance', 'date', 'name']) {
    for (const limit of [1, 4, 7]) {
      const { ids: seen, problems } = await allPages(server, { q: tie, sort, limit });
      t.same(problems, [], `${sort}, ${limit} a page: every cursor accepted`);
      t.equal(seen.length, 45, `${sort}, ${limit} a page: 45 events`);
      t.same(seen, set(seen), `${sort}, ${limit} a page: ties in id order, none twice`);
      t.same(set(seen), set(ids), `${sort}, ${limit} a page: exactly these events`);
    }
  }
  // A new event that sorts before the cursor does not shift the pages after it.
  const first = await searchIds(server, { q: tie, sort: 'date', limit: 10 });
  await makeSearchEvent(pool, venue, { title: `Tied Gala ${tie}`, startsIn: '1 day' });
  const next = await searchIds(server, { q: tie, sort: 'date', limit: 10, cursor: first.body.nextCursor });
  t.same(next.ids, set(ids).slice(10, 20), 'the next page is what followed the cursor');
  const wrongSort = await searchIds(server, { q: tie, sort: 'name', cursor: first.body.nextCursor });
  t.equal(wrongSort.body?.error?.code, 'INVALID_CURSOR', 'a cursor only works with its own sort');
});

t.test('suggestions while typing', async (t) => {
  const word = `Zq${randomUUID().replace(/-/g, '').slice(0, 6)}`;
  const performerEvent = await makeSearchEvent(pool, zurich, { title: `${word}tonic Live`, performers: [`${word}tonic`] });
  await makeVenue(pool, { name: `${word}tonic Arena`, city: 'Basel' });
  for (const typed of [word.slice(0, 6), word, `${word}to`, `${word.toLowerCase()}ton`]) {
    const res = await server.request('GET', `/events/suggest?q=${encodeURIComponent(typed)}`);
    t.equal(res.status, 200, `${typed}: 200`);
    const kinds = res.body.items.map((s: { kind: string }) => s.kind);
    t.same(kinds.slice(0, 3), ['performer', 'venue', 'event'], `${typed}: performer, venue, then event`);
    t.ok(res.body.items.some((s: { id: string }) => s.id === performerEvent), `${typed}: the event`);
  }
  // Events: the soonest first, dated where the venue is (23:30 UTC is the next day in Zürich).
  const later = await makeSearchEvent(pool, zurich, { title: `${word}tonic Encore`, startsIn: '40 days' });
  const sooner = await makeSearchEvent(pool, zurich, { title: `${word}tonic Opening`, startsIn: '20 days' });
  await pool.query(`update app_public.events set starts_at = (date_trunc('day', now() at time zone 'UTC') + interval '20 days 23 hours 30 minutes') at time zone 'UTC' where id = $1`, [sooner]);
  const dated = await server.request('GET', `/events/suggest?q=${encodeURIComponent(word)}`);
  const events = dated.body.items.filter((s: { kind: string }) => s.kind === 'event');
  t.ok(events.findIndex((s: { id: string }) => s.id === sooner) < events.findIndex((s: { id: string }) => s.id === later), 'the sooner event first');
  const localDate = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 21)).toISOString().slice(0, 10);
  t.equal(events.find((s: { id: string }) => s.id === sooner).detail, localDate, 'its date in Zürich, the day after the UTC date');
  const many = await server.request('GET', '/events/suggest?q=a');
  t.ok(many.body.items.length <= 10, 'never more than 10');
  const nothing = await server.request('GET', `/events/suggest?q=${encodeURIComponent('!!!')}`);
  t.same(nothing.body.items, [], 'no word: no suggestions');
  const missing = await server.request('GET', '/events/suggest');
  t.equal(missing.status, 400, 'q is required');
});

t.test('the search document follows its performers and venue, with no indexing step', async (t) => {
  const venue = await makeVenue(pool, { name: 'Plain Hall' });
  const id = await makeSearchEvent(pool, venue, { title: `Gala ${tag}`, performers: [`Oldname ${tag}`] });
  const find = async (q: string) => (await searchIds(server, { q, venue })).ids;
  t.same(await find('oldname'), [id], 'found by its performer');
  await pool.query(`update app_public.performers set name = $1 where name = $2`, [`Newname ${tag}`, `Oldname ${tag}`]);
  t.same(await find('newname'), [id], 'a renamed performer is found by the new name');
  t.same(await find('oldname'), [], 'and no longer by the old one');
  const p = await pool.query<{ id: string }>(`insert into app_public.performers (name) values ('Guestwhistler') returning id`);
  await pool.query('insert into app_public.event_performers (event_id, performer_id, position) values ($1, $2, 1)', [id, p.rows[0].id]);
  t.same(await find('guestwhistler'), [id], 'an added performer is found');
  await pool.query('delete from app_public.event_performers where event_id = $1 and performer_id = $2', [id, p.rows[0].id]);
  t.same(await find('guestwhistler'), [], 'a removed performer is not');
  await pool.query(`update app_public.venues set name = 'Kaufleuten Saal' where id = $1`, [venue]);
  t.same(await find('kaufleuten'), [id], 'a renamed venue is found');
  await pool.query('update app_public.events set title = $1 where id = $2', [`Soirée ${tag}`, id]);
  t.same(await find('soiree'), [id], 'a retitled event is found');
  t.same(await find('kaufleutem'), [id], 'and its new words are in the vocabulary for typos');
  // City and country filters read the venue's city and country as copied onto its events.
  const inCity = async (params: Record<string, string>) => (await searchIds(server, { q: tag, venue, ...params })).ids;
  t.same(await inCity({ city: 'zurich' }), [id], 'in the venue\'s city');
  await pool.query(`update app_public.venues set city = 'Genève', country = 'CH' where id = $1`, [venue]);
  t.same(await inCity({ city: 'zurich' }), [], 'a venue that moved is no longer in its old city');
  t.same(await inCity({ city: 'geneve' }), [id], 'but in its new one');
  await pool.query(`update app_public.venues set country = 'FR' where id = $1`, [venue]);
  t.same(await inCity({ country: 'fr' }), [id], 'and in its new country');
  t.same(await inCity({ country: 'ch' }), [], 'not its old one');
  t.same(await find('geneve'), [id], 'its new city is searched too');
  const other = await makeVenue(pool, { name: 'Other Hall', city: 'Basel' });
  await pool.query('update app_public.events set venue_id = $1 where id = $2', [other, id]);
  t.same((await searchIds(server, { q: tag, city: 'basel', venue: other })).ids, [id], 'an event moved to another venue is in that venue\'s city');
});

t.test('relevance: every word in the title or performers first, then the rest, soonest first in each', async (t) => {
  const word = `rel${randomUUID().replace(/-/g, '').slice(0, 8)}`;
  const venue = await makeVenue(pool, { name: `${word} Arena`, city: 'Bern' });
  const r = {
    venueOnlySoon: await makeSearchEvent(pool, venue, { title: 'Spring Gala', startsIn: '2 days' }),
    performerLate: await makeSearchEvent(pool, venue, { title: 'Night Show', performers: [`${word} Quartet`], startsIn: '90 days' }),
    titleSoon: await makeSearchEvent(pool, venue, { title: `${word} Live`, startsIn: '10 days' }),
    descriptionOnly: await makeSearchEvent(pool, venue, { title: 'Matinee', description: `With ${word} as guests`, startsIn: '5 days' }),
  };
  const ranked = await server.request('POST', '/graphql', {
    body: { query: `query($q: String!, $venue: UUID) { searchEvents(q: $q, venueId: $venue, pageSize: 10) { nodes { rank event { rowId } } } }`,
            variables: { q: word, venue } } });
  const hits = ranked.body.data.searchEvents.nodes.map((h: { rank: number; event: { rowId: string } }) => [h.event.rowId, h.rank]);
  t.same(hits, [[r.titleSoon, 1], [r.performerLate, 1], [r.venueOnlySoon, 0.5], [r.descriptionOnly, 0.5]],
    'title and performer matches (rank 1) by date, then venue and description matches (rank 0.5) by date');
  // Two words: both in the title beats one in the title and one in the venue.
  const both = await makeSearchEvent(pool, venue, { title: `${word} Bern Special`, startsIn: '100 days' });
  t.same((await searchIds(server, { q: `${word} bern`, venue })).ids.slice(0, 1), [both], 'both words in the title first');
  t.equal((await searchIds(server, { q: `${word} bern`, venue })).ids.length, 5, 'the rest match through the venue\'s name and city');
  // Pages cross from one tier to the next without losing or repeating an event.
  for (const limit of [1, 2, 3]) {
    const { ids, problems } = await allPages(server, { q: word, venue, limit });
    t.same(problems, [], `${limit} a page: every cursor accepted`);
    t.same(ids, [r.titleSoon, r.performerLate, both, r.venueOnlySoon, r.descriptionOnly], `${limit} a page: the same order as one page`);
  }
});
