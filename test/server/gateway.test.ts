// Gateway duties: rate limits per IP, per user and (stricter) on POST /bookings with Retry-After;
// security headers; CORS only for configured origins; GraphQL documents limited in depth and size;
// introspection and GraphiQL off in production unless enabled. Limits are set small per server here.
import t from 'tap';
import { makeEvent, ownerPool } from '../helpers/db.ts';
import { graphql } from '../helpers/observe.ts';
import { startTestServer } from '../helpers/server.ts';
import { startFakeOidcProvider } from '../fakes/oidc-provider.ts';

const pool = ownerPool(2);
t.teardown(() => pool.end());

t.test('POST /bookings has its own, stricter limit per user, answered 429 with Retry-After', async (t) => {
  const server = await startTestServer({ RATE_LIMIT_BOOKINGS_PER_USER: '3', RATE_LIMIT_PER_USER: '100', RATE_LIMIT_WINDOW_SECONDS: '60' });
  t.teardown(() => server.close());
  const event = await makeEvent(pool, { tickets: 10 });
  const [ann, bob] = [await server.login(), await server.login()];
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    statuses.push((await server.request('POST', '/bookings', { token: ann, body: { eventId: event.eventId, ticketIds: [event.ticketIds[i]] } })).status);
  }
  t.same(statuses, [201, 201, 201, 429], 'the fourth hold in the window is refused');
  const limited = await server.request('POST', '/bookings', { token: ann, body: { eventId: event.eventId, ticketIds: [event.ticketIds[5]] } });
  t.equal(limited.body.error.code, 'RATE_LIMITED');
  t.equal(limited.body.error.details.scope, 'bookings');
  const retryAfter = Number(limited.headers.get('retry-after'));
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After is 1..60 seconds (${retryAfter})`);
  t.equal(limited.body.error.details.retryAfterSeconds, retryAfter);
  const { rows } = await pool.query('select count(*)::int as n from app_public.bookings where event_id = $1', [event.eventId]);
  t.equal(rows[0].n, 3, 'the refused requests wrote nothing');
  t.equal((await server.request('GET', '/me', { token: ann })).status, 200, 'other endpoints still answer Ann');
  t.equal((await server.request('POST', '/bookings', { token: bob, body: { eventId: event.eventId, ticketIds: [event.ticketIds[6]] } })).status, 201,
    'another user on the same IP still holds');
});

t.test('per user and per IP limits', async (t) => {
  const server = await startTestServer({ RATE_LIMIT_PER_USER: '3', RATE_LIMIT_PER_IP: '8' });
  t.teardown(() => server.close());
  const [ann, bob] = [await server.login(), await server.login()];
  // login requests count against the IP: 2 so far.
  const annStatuses = [];
  for (let i = 0; i < 4; i++) annStatuses.push((await server.request('GET', '/me', { token: ann })).status);
  t.same(annStatuses, [200, 200, 200, 429], 'a user gets 3 requests');
  const res = await server.request('GET', '/me', { token: ann });
  t.equal(res.body.error.details.scope, 'user');
  t.ok(Number(res.headers.get('retry-after')) >= 1, 'with Retry-After');
  t.equal((await server.request('GET', '/me', { token: bob })).status, 200, 'Bob has his own allowance');
  const ip = await server.request('GET', '/healthz');
  t.same([ip.status, ip.body.error?.details?.scope], [429, 'ip'], 'the ninth request from the IP is over the IP limit');
  t.ok(Number(ip.headers.get('retry-after')) >= 1);
});

t.test('the IP limit comes before authentication: a flood of bad tokens is limited too', async (t) => {
  const server = await startTestServer({ RATE_LIMIT_PER_IP: '3' });
  t.teardown(() => server.close());
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await server.request('GET', '/me', { token: `forged.${i}.token` })).status);
  t.same(statuses, [401, 401, 401, 429]);
});

t.test('security headers and CORS', async (t) => {
  const server = await startTestServer({ CORS_ORIGINS: 'https://shop.example' });
  t.teardown(() => server.close());
  const res = await server.request('GET', '/healthz', { headers: { origin: 'https://shop.example' } });
  t.equal(res.headers.get('x-content-type-options'), 'nosniff');
  t.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN');
  t.match(res.headers.get('strict-transport-security'), /max-age=/);
  t.equal(res.headers.get('x-powered-by'), null);
  t.equal(res.headers.get('access-control-allow-origin'), 'https://shop.example', 'a configured origin is allowed');
  t.match(res.headers.get('x-ratelimit-remaining'), /^\d+$/, 'the remaining allowance is shown');
  const other = await server.request('GET', '/healthz', { headers: { origin: 'https://evil.example' } });
  t.equal(other.headers.get('access-control-allow-origin'), null, 'another origin is not');
  const preflight = await server.request('OPTIONS', '/bookings', {
    headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,idempotency-key' },
  });
  t.equal(preflight.status, 204);
  t.match(preflight.headers.get('access-control-allow-headers'), /idempotency-key/);
});

t.test('GraphQL documents: depth and size limits', async (t) => {
  const server = await startTestServer({ GRAPHQL_MAX_DEPTH: '4', GRAPHQL_MAX_LENGTH: '400' });
  t.teardown(() => server.close());
  const ok = await graphql(server, '{ allEvents(first: 1) { nodes { venue: venueByVenueId { name } } } }');
  t.same(ok.errors, [], 'depth 4 is fine');
  const deep = await graphql(server, '{ allEvents(first: 1) { nodes { venue: venueByVenueId { eventsByVenueId { nodes { title } } } } } }');
  t.equal(deep.errors[0]?.extensions?.code, 'QUERY_TOO_DEEP');
  t.equal(deep.data, null, 'nothing ran');
  const viaFragment = await graphql(server, 'query { allEvents(first: 1) { ...E } } fragment E on EventsConnection { nodes { venueByVenueId { eventsByVenueId { totalCount } } } }');
  t.equal(viaFragment.errors[0]?.extensions?.code, 'QUERY_TOO_DEEP', 'fragments count too');
  const big = await graphql(server, `{ currentUserId ${' '.repeat(400)} }`);
  t.equal(big.errors[0]?.extensions?.code, 'QUERY_TOO_LARGE');
});

t.test('production: introspection and GraphiQL are off unless enabled', async (t) => {
  const idp = await startFakeOidcProvider();
  t.teardown(() => idp.close());
  const prod = {
    NODE_ENV: 'production', OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: idp.audience,
    AUTHENTICATOR_PASSWORD: process.env.AUTHENTICATOR_PASSWORD || 'boxoffice-dev', TICKET_SIGNING_SECRET: 'test-production-ticket-secret',
  };
  const off = await startTestServer(prod);
  t.teardown(() => off.close());
  const intro = await graphql(off, '{ __schema { queryType { name } } }');
  t.ok(intro.errors.length > 0, 'introspection is refused');
  t.match(intro.errors[0].message, /introspection/i);
  t.same((await graphql(off, '{ currentUserId }')).errors, [], 'ordinary queries work');
  t.equal((await off.request('GET', '/graphiql')).status, 404, 'no GraphiQL');
  t.equal((await off.request('POST', '/dev/login', { body: { email: 'a@example.test' } })).status, 404, 'no dev issuer');

  const on = await startTestServer({ ...prod, GRAPHQL_INTROSPECTION: 'true' });
  t.teardown(() => on.close());
  const allowed = await graphql(on, '{ __schema { queryType { name } } }');
  t.same(allowed.data, { __schema: { queryType: { name: 'Query' } } }, 'enabled explicitly');
});
