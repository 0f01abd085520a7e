// A local OpenID provider for tests: serves /.well-known/openid-configuration and a JWKS on loopback,
// signs identity tokens with generated RSA and EC keys, and can rotate its keys. No network.
import { createSign, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import http from 'node:http';

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface FakeOidcProvider {
  issuer: string;
  audience: string;
  /** How many times the JWKS was fetched. */
  jwksFetches: () => number;
  /** A signed token; claims override the defaults (iss, aud, sub, iat, exp); header overrides kid/alg. */
  sign: (claims?: Record<string, unknown>, opts?: { alg?: 'RS256' | 'ES256'; kid?: string; key?: KeyObject; header?: Record<string, unknown> }) => string;
  /** Replaces the published keys with new ones (the old ones stop being published). */
  rotate: () => void;
  publicKeyPem: (alg?: 'RS256' | 'ES256') => string;
  close: () => Promise<void>;
}

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

function newKeys(): SigningKey[] {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return [
    { kid: `rsa-${randomUUID()}`, alg: 'RS256', ...rsa },
    { kid: `ec-${randomUUID()}`, alg: 'ES256', ...ec },
  ];
}

export function signWith(key: KeyObject, alg: 'RS256' | 'ES256', header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const head = `${b64url({ typ: 'JWT', ...header, alg: header.alg ?? alg })}.${b64url(claims)}`;
  const sig = createSign('SHA256').update(head).sign(alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${head}.${sig.toString('base64url')}`;
}

export async function startFakeOidcProvider(audience = 'boxoffice-test'): Promise<FakeOidcProvider> {
  let keys = newKeys();
  let fetches = 0;
  let issuer = '';
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['RS256', 'ES256'] }));
    } else if (req.url === '/jwks') {
      fetches++;
      res.end(JSON.stringify({ keys: keys.map((k) => ({ ...k.publicKey.export({ format: 'jwk' }), kid: k.kid, alg: k.alg, use: 'sig' })) }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  return {
    issuer,
    audience,
    jwksFetches: () => fetches,
    sign(claims = {}, opts = {}) {
      const alg = opts.alg ?? 'RS256';
      const key = keys.find((k) => k.alg === alg)!;
      const now = Math.floor(Date.now() / 1000);
      return signWith(opts.key ?? key.privateKey, alg, { kid: opts.kid ?? key.kid, ...opts.header },
        { iss: issuer, aud: audience, sub: randomUUID(), iat: now, exp: now + 600, ...claims });
    },
    rotate() {
      keys = newKeys();
    },
    publicKeyPem(alg = 'RS256') {
      return keys.find((k) => k.alg === alg)!.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
