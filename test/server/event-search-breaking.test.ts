// What an attempt to break event search found (see docs/search.md), kept as tests: each is written as
// what a user, an admin or an API client sees, and each failed before its fix.
// Queries are narrowed to this file's venues or to made-up words, so other test files do not matter.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { grantAdmin } from '../../lib/admins.ts';
import { ownerPool } from '../helpers/db.ts';
import { graphql, waitUntilBlocked } from '../helpers/observe.ts';
import { startTestServer } from '../helpers/server.ts';
import { makeSearchEvent, makeVenue, searchIds } from '../helpers/search.ts';

const pool = ownerPool(4);
const server = await startTestServer({ AUTH_CACHE_SECONDS: '0' });
t.teardown(async () => {
  await server.close();
  await pool.end();
});

/** A made-up word of letters only (no digits: stems and number tokens stay out of the way). */
const word = (n = 10) => Array.from({ length: n }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('');
const cursorOf = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');

t.test('the word being typed finds a word that is only in the description, typed partly', async (t) => {
  // Descriptions are not in the vocabulary: the word being typed must stay a prefix of every word.
  const w = word();
  const venue = await makeVenue(pool);
  const id = await makeSearchEvent(pool, venue, { title: 'Quiet Evening', description: `An evening of ${w}phone music` });
  t.same((await searchIds(server, { q: `${w}phone`, venue })).ids, [id], 'typed whole: found');
  t.same((await searchIds(server, { q: `${w}ph`, venue })).ids, [id], 'typed partly (no vocabulary word begins with it): found');
  // The same with one vocabulary word beginning with what was typed: only that word is looked for.
  const other = await makeSearchEvent(pool, venue, { title: `${w}ist Summit` });
  t.same(new Set((await searchIds(server, { q: w, venue })).ids), new Set([id, other]),
    'typed partly (one title word begins with it): both the title and the description event');
});

t.test('the word being typed finds a title word of more than 40 letters', async (t) => {
  // The vocabulary keeps words of 3 to 40 letters; the query keeps words up to 60.
  const venue = await makeVenue(pool);
  const id = await makeSearchEvent(pool, venue, { title: 'Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch Male Voice Choir' });
  t.same((await searchIds(server, { q: 'Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch', venue })).ids, [id], 'typed whole: found');
  t.same((await searchIds(server, { q: 'llanfairpwll', venue })).ids, [id], 'its beginning: found');
  const suggest = await server.request('GET', `/events/suggest?q=${encodeURIComponent('Llanfairpwll')}`);
  t.ok(suggest.body.items.some((s: { id: string }) => s.id === id), 'and suggested while typing');
});

t.test('sort=name: retitling the event a cursor stands on does not lose the events after it', async (t) => {
  // The cursor carries where it stood (the title's beginning), not only which event it stood on.
  const tag = word();
  const venue = await makeVenue(pool);
  const ids: Record<string, string> = {};
  for (const name of ['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo']) ids[name] = await makeSearchEvent(pool, venue, { title: `${name} ${tag}` });
  const first = await searchIds(server, { q: tag, venue, sort: 'name', limit: 2 });
  t.same(first.ids, [ids.Alpha, ids.Bravo], 'first page');
  await pool.query('update app_public.events set title = $1 where id = $2', [`Zulu ${tag}`, ids.Bravo]);
  const next = await searchIds(server, { q: tag, venue, sort: 'name', limit: 2, cursor: first.body.nextCursor });
  t.equal(next.status, 200);
  t.same(next.ids, [ids.Charlie, ids.Delta], 'the next page is what followed the cursor: Charlie and Delta (they did not change)');
});

t.test('a relevance cursor whose rank is neither 1 nor 0.5 is INVALID_CURSOR', async (t) => {
  // Only the two ranks there are: anything else would silently pick a tier.
  const tag = word();
  const venue = await makeVenue(pool);
  await makeSearchEvent(pool, venue, { title: `Gala ${tag}` });
  for (const rank of [0.7, 2, 'NaN', -1]) {
    const res = await searchIds(server, { q: tag, venue, cursor: cursorOf(['relevance', rank, '2000-01-01T00:00:00.000000Z', randomUUID()]) });
    t.equal(res.status, 400, `rank ${rank}: 400`);
    t.equal(res.body?.error?.code, 'INVALID_CURSOR', `rank ${rank}: INVALID_CURSOR`);
  }
});

t.test('sort=name: deleting the event a cursor stands on does not end the pages', async (t) => {
  const tag = word();
  const venue = await makeVenue(pool);
  const ids: Record<string, string> = {};
  for (const name of ['Alpha', 'Bravo', 'Charlie', 'Delta']) ids[name] = await makeSearchEvent(pool, venue, { title: `${name} ${tag}` });
  const first = await searchIds(server, { q: tag, venue, sort: 'name', limit: 2 });
  await pool.query('delete from app_public.price_tiers where event_id = $1', [ids.Bravo]);
  await pool.query('delete from app_public.events where id = $1', [ids.Bravo]);
  const next = await searchIds(server, { q: tag, venue, sort: 'name', limit: 2, cursor: first.body.nextCursor });
  t.same(next.ids, [ids.Charlie, ids.Delta], 'the events after it');
});

t.test('to as the last day there is (9999-12-31) is answered', async (t) => {
  // The bare date is turned into the next midnight, "+010000-01-01T00:00:00.000Z", which PostgreSQL refuses.
  const tag = word();
  const venue = await makeVenue(pool);
  const id = await makeSearchEvent(pool, venue, { title: `Gala ${tag}` });
  const res = await searchIds(server, { q: tag, venue, to: '9999-12-31' });
  t.equal(res.status, 200, `200 (got ${res.status} ${res.body?.error?.code})`);
  t.same(res.ids, [id], 'the event');
});

// Search fields copied from venues and performers under concurrent writes: a venue renamed (or a
// performer renamed) in one transaction while another moves an event to that venue (or adds the
// performer to it) left the event with the old city (or name) for good, each transaction computing
// from a snapshot without the other. Now one waits for the other. Here the rename is a transaction of
// the owner (an import, or any slower writer) and the move an admin's GraphQL mutation.
const adminEmail = `admin-${randomUUID()}@example.test`;
await server.request('GET', '/me', { token: await server.login(adminEmail) });
await grantAdmin(pool, adminEmail);
const adminToken = await server.login(adminEmail);

/** Runs `change` in an open transaction, starts `during`, commits once `during` is blocked on a lock
 *  (statement text containing `needle`) or done, and returns what `during` returned. */
async function whileOpen<T>(change: string, params: unknown[], needle: string, during: () => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(change, params);
    let done = false;
    const result = during().finally(() => { done = true; });
    await waitUntilBlocked(pool, needle, { unless: () => done });
    await client.query('commit');
    return await result;
  } catch (err) {
    await client.query('rollback');
    throw err;
  } finally {
    client.release();
  }
}

t.test('an event moved to a venue while that venue moves city is found in the new city', async (t) => {
  const tag = word();
  const from = await makeVenue(pool, { city: 'Basel' });
  const to = await makeVenue(pool, { city: 'Bern' });
  const id = await makeSearchEvent(pool, from, { title: `Gala ${tag}` });
  const moved = await whileOpen(`update app_public.venues set city = 'Thun' where id = $1`, [to], 'change_event_venue', () =>
    graphql(server, `mutation($e: UUID!, $v: UUID!) { changeEventVenue(input: { eventId: $e, venueId: $v }) { result { rowId } } }`,
      { e: id, v: to }, adminToken));
  t.same(moved.errors, [], 'moved');
  t.same((await searchIds(server, { q: tag, city: 'thun' })).ids, [id], 'found in its venue\'s city (Thun)');
  t.same((await searchIds(server, { q: tag, city: 'bern' })).ids, [], 'not in the city the venue left (Bern)');
  t.same((await searchIds(server, { q: `thun ${tag}` })).ids, [id], 'and the city is searched');
});

t.test('a performer added to an event while being renamed is found by the new name', async (t) => {
  const [oldName, newName] = [word(), word()];
  const venue = await makeVenue(pool);
  const id = await makeSearchEvent(pool, venue, { title: 'Gala' });
  const performer = (await pool.query<{ id: string }>('insert into app_public.performers (name) values ($1) returning id', [oldName])).rows[0].id;
  const added = await whileOpen('update app_public.performers set name = $1 where id = $2', [newName, performer], 'event_performers', () =>
    graphql(server, `mutation($e: UUID!, $p: UUID!) { createEventPerformer(input: { eventPerformer: { eventId: $e, performerId: $p } }) { clientMutationId } }`,
      { e: id, p: performer }, adminToken));
  t.same(added.errors, [], 'added');
  t.same((await searchIds(server, { q: newName, venue })).ids, [id], 'found by the performer\'s name');
  t.same((await searchIds(server, { q: oldName, venue })).ids, [], 'not by the name it no longer has');
});

t.test('a venue moving city and a performer renamed at the same time: the event keeps both changes', async (t) => {
  // The second refresh of the event waits for the first one's row lock, then recomputes the event's
  // fields: from its own older snapshot it undid the venue's new city (the venue said Thun, the event Basel).
  const [oldName, newName] = [word(), word()];
  const venue = await makeVenue(pool, { city: 'Basel' });
  const id = await makeSearchEvent(pool, venue, { title: 'Gala', performers: [oldName] });
  const performer = (await pool.query<{ id: string }>('select performer_id as id from app_public.event_performers where event_id = $1', [id])).rows[0].id;
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(`update app_public.venues set city = 'Thun' where id = $1`, [venue]);
    let done = false;
    const renamed = graphql(server, `mutation($p: UUID!, $n: String!) { updatePerformerByRowId(input: { rowId: $p, performerPatch: { name: $n } }) { clientMutationId } }`,
      { p: performer, n: newName }, adminToken).finally(() => { done = true; });
    await waitUntilBlocked(pool, 'performers', { unless: () => done });
    await client.query('commit');
    t.same((await renamed).errors, [], 'renamed');
  } finally {
    client.release();
  }
  t.same((await searchIds(server, { q: newName, venue })).ids, [id], 'found by the performer\'s new name');
  t.same((await searchIds(server, { venue, city: 'thun' })).ids, [id], 'found in the venue\'s new city (Thun)');
  t.same((await searchIds(server, { venue, city: 'basel' })).ids, [], 'not in its old one (Basel)');
});

t.test('city and category filters: written with or without the hyphen', async (t) => {
  // Filters compared the normalised text, which keeps a hyphenated word as its parts and joined
  // ("saint etienne saintetienne"): only the hyphenated spelling matched.
  const venue = await makeVenue(pool, { city: 'Saint-Étienne', country: 'FR' });
  const id = await makeSearchEvent(pool, venue, { title: `Gala ${word()}`, category: 'Hip-Hop' });
  t.same((await searchIds(server, { venue, city: 'saint-etienne' })).ids, [id], 'city with the hyphen: found');
  t.same((await searchIds(server, { venue, city: 'Saint Etienne' })).ids, [id], 'city without the hyphen: found');
  t.same((await searchIds(server, { venue, category: 'hip hop' })).ids, [id], 'category without the hyphen: found');
});
