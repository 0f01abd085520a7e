// The background worker: graphile-worker on the same database, with one file per task in tasks/ and
// the schedule in crontab.
import path from 'node:path';
import { run, Logger, type Runner, type TaskList } from 'graphile-worker';
import { projectRoot } from '../lib/config.ts';
import bookingsExpire from './tasks/bookings__expire.ts';

export const taskList: TaskList = {
  bookings__expire: bookingsExpire,
};

export function startWorker(ownerUrl: string, opts: { quiet?: boolean } = {}): Promise<Runner> {
  return run({
    connectionString: ownerUrl,
    concurrency: 4,
    taskList,
    crontabFile: path.join(projectRoot, 'worker/crontab'),
    noHandleSignals: true,
    ...(opts.quiet ? { logger: new Logger(() => (level, message) => { if (level === 'error') console.error(message); }) } : {}),
  });
}
