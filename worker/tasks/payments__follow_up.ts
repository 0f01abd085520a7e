// Scheduled when a payment attempt is made (app_public.start_checkout), for some minutes after it
// should have ended: if no webhook told us how it ended, ask the provider. Covers lost webhooks, so a
// paid order is never left pending.
import type { Task } from 'graphile-worker';
import { gatewayFor } from '../../lib/payments/gateway.ts';
import { inTransaction, type WithClient, type WorkerDeps } from '../deps.ts';
import { applySessionState, paymentInfo } from '../payments.ts';

export async function followUpPayment(withClient: WithClient, deps: WorkerDeps, paymentId: string): Promise<string> {
  const payment = await paymentInfo(withClient, paymentId);
  if (!payment || payment.status !== 'pending') return payment?.status ?? 'missing';
  if (!payment.provider_ref) {
    // The provider never gave us a session (it was down at checkout): nobody can have paid.
    await inTransaction(withClient, (client) => client.query(`select app_private.record_payment_ended($1, 'expired')`, [paymentId]));
    return 'expired';
  }
  const gateway = gatewayFor(deps.gateways, payment.provider);
  let state = await gateway.getSession(payment.provider_ref);
  // Still open after the hold ended: stop it taking money now, learning whether it just did.
  if (state.status === 'open' && !state.paid) state = await gateway.expireSession(payment.provider_ref);
  if (!state.paid && state.status === 'complete') {
    // A delayed payment method still in flight: ask again later (graphile-worker retries with backoff).
    throw new Error(`payment ${paymentId} is still processing at ${payment.provider}`);
  }
  await applySessionState(withClient, paymentId, state);
  return state.paid ? 'paid' : 'expired';
}

export default (deps: WorkerDeps): Task => async (payload, helpers) => {
  const outcome = await followUpPayment(helpers.withPgClient, deps, (payload as { paymentId: string }).paymentId);
  helpers.logger.debug(`follow-up: payment is ${outcome}`);
};
