// Keyset paging of GET /events: following nextCursor from page to page lists every matching event
// exactly once, in order, by date and by name, whatever the titles look like; every cursor the API
// hands out is one it accepts.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { makeEvent, ownerPool } from '../helpers/db.ts';
import { startTestServer } from '../helpers/server.ts';

const pool = ownerPool(4);
const server = await startTestServer();
t.teardown(async () => {
  await server.close();
  await pool.end();
});

// A word no other test uses, so that ?q= selects exactly this file's events.
const tag = `pg${randomUUID().replace(/-/g, '').slice(0, 10)}`;
const titles = [
  `Zebra ${tag}`,
  `alpha ${tag}`,
  `Alpha ${tag}`,
  `Mid ${tag} ${'a very long name for a festival '.repeat(14)}`,
  `Beta ${tag}`,
  `Omega ${tag}`,
];
const events: Array<{ id: string; title: string }> = [];
for (const [i, title] of titles.entries()) {
  const e = await makeEvent(pool, { title, tickets: 1, startsIn: `${40 + i} days` });
  events.push({ id: e.eventId, title });
}
// Two events start at the very same moment: the id breaks the tie.
await pool.query('update app_public.events set starts_at = (select starts_at from app_public.events where id = $1) where id = $2',
  [events[4].id, events[5].id]);
const { rows: order } = await pool.query<{ id: string; lower: string }>(
  'select id, lower(title) as lower, starts_at from app_public.events where id = any($1::uuid[]) order by starts_at, id', [events.map((e) => e.id)]);
const byDate = order.map((r) => r.id);

async function allPages(query: string) {
  const seen: string[] = [];
  const problems: string[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 20; i++) {
    const res: { status: number; body: any } = await server.request('GET', `/events?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (res.status !== 200) {
      problems.push(`page ${i + 1}: ${res.status} ${res.body?.error?.code}`);
      break;
    }
    seen.push(...res.body.items.map((e: { id: string }) => e.id));
    cursor = res.body.nextCursor;
    if (!cursor) break;
  }
  return { seen, problems };
}

t.test('by date, two at a time', async (t) => {
  const { seen, problems } = await allPages(`q=${tag}&limit=2`);
  t.same(problems, [], 'every nextCursor is accepted');
  t.same(seen, byDate, 'every event exactly once, by start time, ties by id');
});

t.test('by date, one at a time', async (t) => {
  const { seen, problems } = await allPages(`q=${tag}&limit=1`);
  t.same(problems, [], 'every nextCursor is accepted');
  t.same(seen, byDate, 'every event exactly once');
});

t.test('by name, one at a time (a very long title among them)', async (t) => {
  const { seen, problems } = await allPages(`q=${tag}&sort=name&limit=1`);
  t.same(problems, [], 'every nextCursor is accepted, also the one after the long title');
  t.equal(new Set(seen).size, seen.length, 'no event twice');
  t.same([...seen].sort(), [...byDate].sort(), 'every event once');
  const lowers = seen.map((id) => order.find((r) => r.id === id)!.lower);
  t.same(lowers, [...lowers].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), 'in name order, case-insensitively');
});

t.test('by name, three at a time', async (t) => {
  const { seen, problems } = await allPages(`q=${tag}&sort=name&limit=3`);
  t.same(problems, [], 'every nextCursor is accepted');
  t.same([...seen].sort(), [...byDate].sort(), 'every event exactly once');
});
