// npm test — type-check, check the committed zapatos types, then run every node-tap test against a
// fresh database: on DATABASE_URL's server when it is set, else on a throwaway embedded PostgreSQL.
// Ends with the line "N passed, N failed" that CI reads. Extra arguments go to tap (e.g. a test file).
import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig, projectRoot } from '../lib/config.ts';
import { withDatabase } from '../lib/db.ts';
import { startEmbeddedPostgres, type EmbeddedServer } from '../lib/embedded-postgres.ts';
import { migrateDatabase } from '../lib/migrate.ts';
import { zapatosIsCurrent } from './typegen.ts';

const bin = (name: string) => path.join(projectRoot, 'node_modules/.bin', name);

function step(title: string) {
  console.log(`\n== ${title}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const config = loadConfig();
// Without the TypeScript plugin tap does not look for .ts files itself, so name them.
const testFiles = (fs.readdirSync(path.join(projectRoot, 'test'), { recursive: true }) as string[])
  .filter((f) => f.endsWith('.test.ts')).map((f) => path.join('test', f)).sort();
const tapArgs = process.argv.length > 2 ? process.argv.slice(2) : testFiles;

step('type-check (tsc --noEmit)');
const tsc = spawnSync(bin('tsc'), ['--noEmit', '-p', projectRoot], { stdio: 'inherit' });
if (tsc.status !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}

let embedded: EmbeddedServer | null = null;
let serverUrl: string;
let embeddedDir: string | null = null;
if (config.databaseUrl) {
  serverUrl = config.databaseUrl;
  step(`database server: ${new URL(serverUrl).host} (DATABASE_URL)`);
} else {
  embeddedDir = fs.mkdtempSync(path.join(os.tmpdir(), 'boxoffice-test-pg-'));
  const port = await freePort();
  step(`database server: embedded PostgreSQL on port ${port}`);
  embedded = await startEmbeddedPostgres({ dir: embeddedDir, port });
  serverUrl = embedded.url('postgres');
}

const database = `boxoffice_test_${Date.now()}_${process.pid}`;
const testUrl = withDatabase(serverUrl, database);
const admin = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
await admin.connect();
let exitCode = 1;
try {
  await admin.query(`create database ${database}`);
  const { rows } = await admin.query('show server_version');
  console.log(`PostgreSQL ${rows[0].server_version}, database ${database}`);
  await migrateDatabase(testUrl, config.authenticatorPassword, { quiet: true });

  step('zapatos types are current');
  if (!(await zapatosIsCurrent(testUrl))) {
    console.error('lib/zapatos/schema.d.ts is stale: run `npm run typegen` and commit the result.');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }

  step('tests (node-tap)');
  exitCode = await runTap(testUrl);
} finally {
  await admin.query(`drop database if exists ${database} with (force)`).catch((e) => console.error(e.message));
  await admin.end();
  if (embedded) await embedded.stop();
  if (embeddedDir) fs.rmSync(embeddedDir, { recursive: true, force: true });
}
process.exit(exitCode);

function runTap(url: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(bin('tap'), // One test file at a time: the concurrency tests open 50 connections, and the machine's server allows 100.
      ['--reporter=tap', '--jobs=1', '--disable-coverage', '--allow-empty-coverage', ...tapArgs], {
      cwd: projectRoot,
      // Test processes run on this Node (24), not whatever `node` comes first on the system PATH.
      env: { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`, BOXOFFICE_TEST_DATABASE_URL: url, NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString()).slice(-4000);
    });
    child.on('close', (code) => {
      // The tap reporter ends with "# { total: N, pass: N, fail: N, ... }" on one line.
      const summary = /#\s*\{\s*total:\s*(\d+),\s*pass:\s*(\d+)(?:,\s*fail:\s*(\d+))?/.exec(tail);
      const passed = summary ? Number(summary[2]) : 0;
      const failed = summary ? Number(summary[3] ?? 0) : 1;
      const ok = code === 0 && summary !== null && failed === 0 && passed > 0;
      console.log(`${passed} passed, ${ok ? failed : Math.max(failed, 1)} failed`);
      resolve(ok ? 0 : 1);
    });
  });
}
