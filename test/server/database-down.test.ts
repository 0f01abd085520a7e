// With the database gone, requests are answered 503 DATABASE_UNAVAILABLE (try again later), not 500.
import t from 'tap';
import { loadConfig } from '../../lib/config.ts';
import { buildApp } from '../../server/app.ts';

// Nothing listens on port 1: every connection is refused.
const nowhere = 'postgres://postgres@127.0.0.1:1/boxoffice';
const config = loadConfig({ ...process.env, NODE_ENV: 'test', DATABASE_URL: nowhere, PORT: '0', LOG_LEVEL: 'silent' });
const app = await buildApp(config, nowhere);
t.teardown(() => app.close());

for (const url of ['/events?q=jazz', '/events/00000000-0000-4000-8000-000000000000', '/events/suggest?q=ja', '/readyz']) {
  t.test(url, async (t) => {
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 503, '503');
    t.equal(res.json().error.code, 'DATABASE_UNAVAILABLE', 'DATABASE_UNAVAILABLE');
  });
}
