// The background worker: graphile-worker on the same database, with one file per task in tasks/ and
// the schedule in crontab.
import path from 'node:path';
import { run, Logger, type Runner, type TaskList } from 'graphile-worker';
import { loadConfig, projectRoot, type Config } from '../lib/config.ts';
import { createPool } from '../lib/db.ts';
import { makeDeps, withClientOf, type WorkerDeps } from './deps.ts';
import bookingsExpire from './tasks/bookings__expire.ts';
import emailsSend from './tasks/emails__send.ts';
import outboxDrain, { drainOutbox } from './tasks/outbox__drain.ts';
import paymentsExpireSession from './tasks/payments__expire_session.ts';
import paymentsFollowUp from './tasks/payments__follow_up.ts';
import paymentsRefund from './tasks/payments__refund.ts';

export function makeTaskList(deps: WorkerDeps): TaskList {
  return {
    bookings__expire: bookingsExpire,
    outbox__drain: outboxDrain,
    emails__send: emailsSend(deps),
    payments__follow_up: paymentsFollowUp(deps),
    payments__expire_session: paymentsExpireSession(deps),
    payments__refund: paymentsRefund(deps),
  };
}

/** The tasks with this process's configuration (STRIPE_*, POSTMARK_*, ...). */
export const taskList: TaskList = makeTaskList(makeDeps(loadConfig()));

export async function startWorker(ownerUrl: string, opts: { quiet?: boolean; config?: Config } = {}): Promise<{ runner: Runner; stop: () => Promise<void> }> {
  // Our own pool (with an error listener), so a database that goes away first cannot crash the process.
  const pgPool = createPool(ownerUrl, 6);
  const runner = await run({
    pgPool,
    concurrency: 4,
    taskList: opts.config ? makeTaskList(makeDeps(opts.config)) : taskList,
    crontabFile: path.join(projectRoot, 'worker/crontab'),
    noHandleSignals: true,
    ...(opts.quiet ? { logger: new Logger(() => (level, message) => { if (level === 'error') console.error(message); }) } : {}),
  });
  // Confirmation mails should not wait for the next cron minute: drain the outbox every 2 s. An empty
  // outbox costs one cheap query and no NOTIFY; the crontab entry covers a worker that is down.
  let draining = false;
  const drainTimer = setInterval(() => {
    if (draining) return;
    draining = true;
    drainOutbox(withClientOf(pgPool)).catch((err) => console.error('outbox drain failed:', err.message)).finally(() => { draining = false; });
  }, 2000);
  drainTimer.unref();
  return {
    runner,
    stop: async () => {
      clearInterval(drainTimer);
      await runner.stop();
      await pgPool.end();
    },
  };
}
