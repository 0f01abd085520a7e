// Identity tokens from a real (local) OpenID provider: discovered JWKS, RS256 and ES256 accepted,
// key rotation picked up by one refetch, and every kind of bad token refused with 401 INVALID_TOKEN
// and a stable details.reason. Users are created from verified claims and kept current.
import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import t from 'tap';
import { ownerPool } from '../helpers/db.ts';
import { startTestServer } from '../helpers/server.ts';
import { signWith, startFakeOidcProvider } from '../fakes/oidc-provider.ts';

const pool = ownerPool(2);
const idp = await startFakeOidcProvider();
const server = await startTestServer({ OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: idp.audience });
t.teardown(async () => {
  await server.close();
  await idp.close();
  await pool.end();
});

const me = (token: string) => server.request('GET', '/me', { token });

t.test('RS256 and ES256 tokens of the issuer sign the user in; the user is created and kept current', async (t) => {
  const sub = randomUUID();
  const rs = await me(idp.sign({ sub, email: 'ada@example.test', name: 'Ada' }));
  t.equal(rs.status, 200);
  t.match(rs.body, { email: 'ada@example.test', name: 'Ada', displayName: 'Ada', issuer: idp.issuer, isAdmin: false });
  const es = await me(idp.sign({ sub, email: 'ada@new.example.test', name: 'Ada L.' }, { alg: 'ES256' }));
  t.equal(es.status, 200, 'ES256 accepted');
  t.equal(es.body.id, rs.body.id, 'issuer + subject is the key: the same user');
  t.match(es.body, { email: 'ada@new.example.test', name: 'Ada L.' }, 'email and name follow the latest token');
  const { rows } = await pool.query('select count(*)::int as n from app_public.users where issuer = $1 and subject = $2', [idp.issuer, sub]);
  t.equal(rows[0].n, 1, 'one row for the identity');
  t.equal(server.app.hasRoute({ method: 'POST', url: '/dev/login' }), false, 'the development issuer is off');
});

t.test('key rotation: a token with a new kid makes the server refetch the JWKS once', async (t) => {
  t.equal((await me(idp.sign())).status, 200, 'warm: keys cached');
  const before = idp.jwksFetches();
  t.equal((await me(idp.sign())).status, 200);
  t.equal(idp.jwksFetches(), before, 'a known kid costs no fetch');
  const oldToken = idp.sign();
  idp.rotate();
  const res = await me(idp.sign());
  t.equal(res.status, 200, 'the rotated key is accepted');
  t.equal(idp.jwksFetches(), before + 1, 'after exactly one refetch');
  const old = await me(oldToken);
  t.equal(old.status, 401, 'a token of a key that is no longer published is refused');
  t.same(old.body.error, { code: 'INVALID_TOKEN', message: old.body.error.message, details: { reason: 'unknown_key' } });
  const fetches = idp.jwksFetches();
  await me(oldToken);
  t.equal(idp.jwksFetches(), fetches, 'the same unknown kid does not cause another fetch');
});

t.test('bad tokens: 401 INVALID_TOKEN with a stable reason, on REST and GraphQL', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const good = idp.sign();
  const [head, body] = good.split('.');
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const hsWithPublicKey = (() => {
    const h = `${b64({ alg: 'HS256', typ: 'JWT' })}.${body}`;
    return `${h}.${createHmac('sha256', idp.publicKeyPem()).update(h).digest('base64url')}`;
  })();
  const cases: Array<[string, string, string]> = [
    ['expired', idp.sign({ iat: now - 7200, exp: now - 3600 }), 'expired'],
    ['another issuer', idp.sign({ iss: 'https://evil.example' }), 'wrong_issuer'],
    ['another audience', idp.sign({ aud: 'someone-else' }), 'wrong_audience'],
    ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${body}.`, 'algorithm_not_allowed'],
    ['HS256 signed with the public key', hsWithPublicKey, 'algorithm_not_allowed'],
    ['signature does not match (another key, same kid)', signWith(other.privateKey, 'RS256', JSON.parse(Buffer.from(head, 'base64url').toString()), JSON.parse(Buffer.from(body, 'base64url').toString())), 'bad_signature'],
    ['payload changed after signing', `${head}.${b64({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), sub: 'someone-else' })}.${good.split('.')[2]}`, 'bad_signature'],
    ['unknown kid', idp.sign({}, { kid: 'no-such-key' }), 'unknown_key'],
    ['RS256 header on the EC key', idp.sign({}, { alg: 'ES256', header: { alg: 'RS256' } }), 'unknown_key'],
    ['no subject', idp.sign({ sub: '' }), 'no_subject'],
    ['garbage', 'not-a-token', 'malformed'],
  ];
  for (const [name, token, reason] of cases) {
    const rest = await me(token);
    t.equal(rest.status, 401, `${name}: 401`);
    t.same(rest.body.error?.details, { reason }, `${name}: reason ${reason}`);
    t.equal(rest.body.error?.code, 'INVALID_TOKEN', `${name}: INVALID_TOKEN`);
    const gql = await server.request('POST', '/graphql', { token, body: { query: '{ currentUserId }' } });
    t.equal(gql.status, 401, `${name}: GraphQL refuses it too`);
  }
  const basic = await server.request('GET', '/me', { headers: { authorization: 'Basic abc' } });
  t.same([basic.status, basic.body.error.details], [401, { reason: 'not_bearer' }], 'not a bearer token');
  const none = await me('');
  t.equal(none.status, 401);
  t.equal((await server.request('GET', '/me')).body.error.code, 'AUTH_REQUIRED', 'no token at all: AUTH_REQUIRED');
});
