// A fake Postmark API for the real `postmark` SDK (POSTMARK_API_HOST=127.0.0.1:<port>,
// POSTMARK_API_PROTOCOL=http): records every mail sent, and can fail like a provider that is down.
import { randomUUID } from 'node:crypto';
import http from 'node:http';

export interface FakePostmark {
  env: Record<string, string>;
  sent: Array<{ To: string; From: string; Subject: string; TextBody: string; HtmlBody: string; Tag: string; Metadata: Record<string, string> }>;
  mode: 'ok' | 'error';
  close(): Promise<void>;
}

export async function startFakePostmark(): Promise<FakePostmark> {
  const fake: FakePostmark = { env: {}, sent: [], mode: 'ok', close: async () => {} };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      const reply = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (req.headers['x-postmark-server-token'] !== 'pm-test-token') return reply(401, { ErrorCode: 10, Message: 'Bad or missing Server API token.' });
      if (fake.mode === 'error') return reply(500, { ErrorCode: 500, Message: 'Fake Postmark is down.' });
      if (req.method !== 'POST' || req.url !== '/email') return reply(404, { ErrorCode: 404, Message: 'Not found' });
      const mail = JSON.parse(body);
      fake.sent.push(mail);
      reply(200, { To: mail.To, SubmittedAt: new Date().toISOString(), MessageID: randomUUID(), ErrorCode: 0, Message: 'OK' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  fake.env = { POSTMARK_SERVER_TOKEN: 'pm-test-token', POSTMARK_API_HOST: `127.0.0.1:${port}`, POSTMARK_API_PROTOCOL: 'http' };
  fake.close = () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return fake;
}
