// A hold ended (expired or released) while its checkout session was open: close the session at the
// provider so it takes no more money. If the buyer paid in the meantime, the payment is recorded
// through the usual path (confirmed if the tickets are still free, else refunded).
import type { Task } from 'graphile-worker';
import { gatewayFor } from '../../lib/payments/gateway.ts';
import type { WithClient, WorkerDeps } from '../deps.ts';
import { applySessionState, paymentInfo } from '../payments.ts';

export async function expireSession(withClient: WithClient, deps: WorkerDeps, paymentId: string): Promise<string> {
  const payment = await paymentInfo(withClient, paymentId);
  if (!payment || !payment.provider_ref || payment.status === 'paid') return payment?.status ?? 'missing';
  const state = await gatewayFor(deps.gateways, payment.provider).expireSession(payment.provider_ref);
  await applySessionState(withClient, paymentId, state);
  return state.paid ? 'paid' : state.status;
}

export default (deps: WorkerDeps): Task => async (payload, helpers) => {
  await expireSession(helpers.withPgClient, deps, (payload as { paymentId: string }).paymentId);
};
