// The identity provider's signing keys: discovered from its OpenID configuration, cached by key id,
// and fetched again (at most once per unknown kid, and not more than once every few seconds) when a
// token names a key we do not have, which is how a provider's key rotation reaches us.
import { createPublicKey, type JsonWebKey } from 'node:crypto';

export const OIDC_ALGORITHMS = ['RS256', 'ES256'] as const;

interface Jwk extends JsonWebKey {
  kid?: string;
  use?: string;
  alg?: string;
}

export interface JwksCache {
  /** The PEM of the key with this kid (and fitting alg), or null when the provider has none. */
  keyFor: (kid: string | undefined, alg: string) => Promise<string | null>;
}

// A flood of tokens with made-up kids must not turn into a flood of requests to the provider: each
// unknown kid causes one refetch, and no more than REFETCHES_PER_MINUTE happen in a minute.
const REFETCHES_PER_MINUTE = 10;
const TRIED_KIDS_LIMIT = 1000;

export function jwksCache(issuer: string, fetchJson: (url: string) => Promise<any> = defaultFetchJson): JwksCache {
  let keys = new Map<string, { kty: string; pem: string }>();
  let loaded: Promise<void> | null = null;
  let recentFetches: number[] = [];
  const triedKids = new Set<string>();

  function mayRefetch(kid: string): boolean {
    const now = Date.now();
    recentFetches = recentFetches.filter((at) => now - at < 60_000);
    if (triedKids.has(kid) || recentFetches.length >= REFETCHES_PER_MINUTE) return false;
    if (triedKids.size >= TRIED_KIDS_LIMIT) triedKids.clear();
    triedKids.add(kid);
    return true;
  }

  async function load(): Promise<void> {
    recentFetches.push(Date.now());
    const config = await fetchJson(`${issuer}/.well-known/openid-configuration`);
    if (config?.issuer !== issuer || typeof config.jwks_uri !== 'string') {
      throw new Error(`the OpenID configuration of ${issuer} names another issuer or no jwks_uri`);
    }
    const jwks = await fetchJson(config.jwks_uri);
    const next = new Map<string, { kty: string; pem: string }>();
    for (const jwk of (jwks?.keys ?? []) as Jwk[]) {
      if (jwk.use && jwk.use !== 'sig') continue;
      if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') continue;
      try {
        const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
        next.set(jwk.kid ?? '', { kty: jwk.kty, pem });
      } catch {
        // A key we cannot read is a key we cannot verify with; the others still work.
      }
    }
    keys = next;
  }

  function refresh(): Promise<void> {
    loaded = load().catch((err) => {
      loaded = null;
      throw err;
    });
    return loaded;
  }

  return {
    async keyFor(kid, alg) {
      if (!loaded) await refresh();
      else await loaded;
      let key = keys.get(kid ?? '');
      if (!key && mayRefetch(kid ?? '')) {
        await refresh();
        key = keys.get(kid ?? '');
      }
      if (!key) return null;
      // RS256 needs an RSA key and ES256 an EC key: a key is never used with another algorithm.
      if ((alg === 'RS256') !== (key.kty === 'RSA')) return null;
      return key.pem;
    },
  };
}

async function defaultFetchJson(url: string): Promise<any> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000), headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return res.json();
}
