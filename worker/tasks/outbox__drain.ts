// Turns outbox rows (written by confirmations, releases and refunds inside their own transactions)
// into graphile-worker jobs, 500 per add_jobs call, until the outbox is empty.
import type { Task } from 'graphile-worker';
import type { WithClient } from '../deps.ts';

const BATCH = 500;

export async function drainOutbox(withClient: WithClient): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await withClient(async (client) => (await client.query<{ n: number }>('select app_private.drain_outbox($1) as n', [BATCH])).rows[0].n);
    total += n;
    if (n < BATCH) return total;
  }
}

const task: Task = async (_payload, helpers) => {
  const n = await drainOutbox(helpers.withPgClient);
  if (n) helpers.logger.info(`enqueued ${n} outbox jobs`);
};

export default task;
