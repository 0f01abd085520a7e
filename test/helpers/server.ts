// A real Boxoffice HTTP server on a free local port, on the test database, for tests that go through
// HTTP as a client would.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../lib/config.ts';
import { buildApp } from '../../server/app.ts';
import { testDatabaseUrl } from './db.ts';

export interface TestServer {
  url: string;
  app: FastifyInstance;
  /** A token for a new (or the named) user from the development issuer. */
  login: (email?: string) => Promise<string>;
  request: (method: string, path: string, opts?: { token?: string; body?: unknown; headers?: Record<string, string> }) =>
    Promise<{ status: number; body: any; headers: Headers }>;
  close: () => Promise<void>;
}

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const config = loadConfig({ ...process.env, NODE_ENV: 'test', DATABASE_URL: testDatabaseUrl(), PORT: '0', ...env });
  const app = await buildApp(config, testDatabaseUrl());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  config.publicUrl = url;

  const request: TestServer['request'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    }
    const res = await fetch(url + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (an HTML page): keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };

  return {
    url,
    app,
    request,
    login: async (email = `${randomUUID()}@example.test`) => {
      const res = await request('POST', '/dev/login', { body: { email, name: 'Test Buyer' } });
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.token as string;
    },
    close: () => app.close(),
  };
}
