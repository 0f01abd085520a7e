// Marks expired holds as such, in batches, until none is left. Re-runnable: each batch skips rows that
// another run is already updating.
import type { Task } from 'graphile-worker';

const BATCH = 1000;

const task: Task = async (_payload, helpers) => {
  let total = 0;
  for (;;) {
    const { rows } = await helpers.query<{ n: number }>('select app_private.expire_bookings(now(), $1) as n', [BATCH]);
    total += rows[0].n;
    if (rows[0].n < BATCH) break;
  }
  if (total) helpers.logger.info(`expired ${total} holds`);
};

export default task;
