// The signed-in user's own pages: GET /me, PATCH /me (only the display name is the user's to change),
// GET /me/bookings (newest first, keyset-paginated, each booking exactly as GET /bookings/:id shows it).
import t from 'tap';
import { makeEvent, ownerPool } from '../helpers/db.ts';
import { graphql, loginMany } from '../helpers/observe.ts';
import { startTestServer } from '../helpers/server.ts';

const pool = ownerPool(2);
const server = await startTestServer();
t.teardown(async () => {
  await server.close();
  await pool.end();
});
const [ann, bob] = await loginMany(server, 2);

t.test('GET /me needs a token and shows the profile', async (t) => {
  const anon = await server.request('GET', '/me');
  t.same([anon.status, anon.body.error.code], [401, 'AUTH_REQUIRED']);
  const me = await server.request('GET', '/me', { token: ann });
  t.equal(me.status, 200);
  t.match(me.body, { id: String, email: /@example\.test$/, name: 'Test Buyer', displayName: 'Test Buyer', isAdmin: false });
});

t.test('PATCH /me changes the display name only', async (t) => {
  const res = await server.request('PATCH', '/me', { token: ann, body: { displayName: '  Annie  ' } });
  t.equal(res.status, 200);
  t.match(res.body, { displayName: 'Annie', name: 'Test Buyer' }, 'trimmed; the provider\'s name stays');
  t.equal((await server.request('GET', '/me', { token: ann })).body.displayName, 'Annie', 'kept');
  const reset = await server.request('PATCH', '/me', { token: ann, body: { displayName: null } });
  t.equal(reset.body.displayName, 'Test Buyer', 'null goes back to the provider\'s name');
  for (const body of [{ email: 'x@example.test' }, { displayName: '' }, { displayName: 'x'.repeat(101) }, { displayName: '   ' }, { displayName: 'A', name: 'B' }]) {
    const bad = await server.request('PATCH', '/me', { token: ann, body });
    t.same([bad.status, bad.body.error.code], [400, 'VALIDATION_FAILED'], JSON.stringify(body).slice(0, 40));
  }
  const anon = await server.request('PATCH', '/me', { body: { displayName: 'X' } });
  t.equal(anon.status, 401);
});

t.test('GraphQL: a user may rename only themselves', async (t) => {
  const bobId = (await server.request('GET', '/me', { token: bob })).body.id;
  const res = await graphql(server, `mutation($id: UUID!) { updateUserByRowId(input: { rowId: $id, userPatch: { displayName: "Hacked" } }) { user { rowId } } }`, { id: bobId }, ann);
  t.same(res.data, { updateUserByRowId: { user: null } }, 'Ann\'s rename of Bob matches no row (RLS hides it)');
  t.equal((await server.request('GET', '/me', { token: bob })).body.displayName, 'Test Buyer', 'Bob is unchanged');
  const own = await graphql(server, `mutation($id: UUID!) { updateUserByRowId(input: { rowId: $id, userPatch: { displayName: "Bobby" } }) { user { displayName } } }`, { id: bobId }, bob);
  t.same(own.errors, []);
  t.equal(own.data.updateUserByRowId.user.displayName, 'Bobby');
  const email = await graphql(server, `mutation($id: UUID!) { updateUserByRowId(input: { rowId: $id, userPatch: { email: "x@example.test" } }) { user { rowId } } }`, { id: bobId }, bob);
  t.ok(email.errors.length > 0, 'the email is not writable');
});

t.test('GET /me/bookings: newest first, paged by cursor, same JSON as GET /bookings/:id, only mine', async (t) => {
  const event = await makeEvent(pool, { tickets: 10 });
  const mine: string[] = [];
  for (let i = 0; i < 5; i++) {
    const res = await server.request('POST', '/bookings', { token: ann, body: { eventId: event.eventId, ticketIds: [event.ticketIds[i]] } });
    mine.push(res.body.id);
  }
  await server.request('POST', '/bookings', { token: bob, body: { eventId: event.eventId, ticketIds: [event.ticketIds[9]] } });
  // Several bookings in one microsecond would tie on created_at: the id breaks ties, so give them one time.
  await pool.query('update app_public.bookings set created_at = (select min(created_at) from app_public.bookings where id = any ($1)) where id = any ($2)', [mine, mine.slice(2)]);

  const seen: any[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res: any = await server.request('GET', `/me/bookings?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: ann });
    t.equal(res.status, 200);
    seen.push(...res.body.items);
    cursor = res.body.nextCursor;
    pages++;
  } while (cursor && pages < 10);
  const ids = seen.map((b) => b.id).filter((id) => mine.includes(id));
  t.equal(ids.length, 5, 'all five, each once');
  t.equal(new Set(ids).size, 5);
  const { rows } = await pool.query('select id from app_public.bookings where user_id = (select user_id from app_public.bookings where id = $1) order by created_at desc, id desc', [mine[0]]);
  t.same(seen.map((b) => b.id), rows.map((r) => r.id), 'newest first, ties by id');
  const single = await server.request('GET', `/bookings/${mine[0]}`, { token: ann });
  t.same(seen.find((b) => b.id === mine[0]), single.body, 'the same representation as GET /bookings/:id');
  const bad = await server.request('GET', '/me/bookings?cursor=nonsense', { token: ann });
  t.same([bad.status, bad.body.error.code], [400, 'INVALID_CURSOR']);
  const bobs = await server.request('GET', '/me/bookings', { token: bob });
  t.notOk(bobs.body.items.some((b: { id: string }) => mine.includes(b.id)), 'Bob sees none of Ann\'s');
});
