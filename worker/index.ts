// The background worker: graphile-worker on the same database, with one file per task in tasks/ and
// the schedule in crontab.
import path from 'node:path';
import { run, Logger, type Runner, type TaskList } from 'graphile-worker';
import { projectRoot } from '../lib/config.ts';
import { createPool } from '../lib/db.ts';
import bookingsExpire from './tasks/bookings__expire.ts';

export const taskList: TaskList = {
  bookings__expire: bookingsExpire,
};

export async function startWorker(ownerUrl: string, opts: { quiet?: boolean } = {}): Promise<{ runner: Runner; stop: () => Promise<void> }> {
  // Our own pool (with an error listener), so a database that goes away first cannot crash the process.
  const pgPool = createPool(ownerUrl, 6);
  const runner = await run({
    pgPool,
    concurrency: 4,
    taskList,
    crontabFile: path.join(projectRoot, 'worker/crontab'),
    noHandleSignals: true,
    ...(opts.quiet ? { logger: new Logger(() => (level, message) => { if (level === 'error') console.error(message); }) } : {}),
  });
  return {
    runner,
    stop: async () => {
      await runner.stop();
      await pgPool.end();
    },
  };
}
