// Pays one refund row back through the payment's provider. The refund's id is the provider's
// idempotency key: however often this job runs (retries after a timeout, a duplicate enqueue, two
// workers at once), the provider pays out once. A provider that is down makes the job fail, and
// graphile-worker retries it with backoff; nothing is lost.
import type { Task } from 'graphile-worker';
import { applyPaymentEvent } from '../../lib/payments/events.ts';
import { gatewayFor } from '../../lib/payments/gateway.ts';
import { inTransaction, type WithClient, type WorkerDeps } from '../deps.ts';

interface RefundRow {
  status: string;
  amount: number;
  currency: string;
  provider: string;
  payment_id: string;
  session_ref: string | null;
  payment_ref: string | null;
  refund_ref: string | null;
}

export async function issueRefund(withClient: WithClient, deps: WorkerDeps, refundId: string): Promise<string> {
  const refund = await withClient(async (client) => (await client.query<RefundRow>(
    `select r.status, r.amount, r.currency, p.provider, p.id as payment_id, s.provider_ref as session_ref, s.provider_payment_ref as payment_ref,
            rs.provider_ref as refund_ref
       from app_public.refunds r
       join app_public.payments p on p.id = r.payment_id
       left join app_private.payment_secrets s on s.payment_id = p.id
       left join app_private.refund_secrets rs on rs.refund_id = r.id
      where r.id = $1`, [refundId])).rows[0]);
  if (!refund || refund.status !== 'pending') return refund?.status ?? 'missing';
  const gateway = gatewayFor(deps.gateways, refund.provider);
  // Made already and left pending: look it up (a repeated create would replay the first answer).
  const result = refund.refund_ref
    ? await gateway.getRefund(refund.refund_ref)
    : await gateway.refund({ refundId, paymentRef: refund.payment_ref, sessionRef: refund.session_ref, amount: refund.amount, currency: refund.currency });
  await inTransaction(withClient, (client) =>
    applyPaymentEvent(client, { kind: 'refund_updated', refundId, status: result.status, refundRef: result.ref }));
  // Still pending at the provider: its refund.updated webhook will settle it; in case that is lost,
  // fail so that graphile-worker looks again later (with backoff).
  if (result.status === 'pending') throw new Error(`refund ${refundId} is still pending at ${refund.provider}`);
  return result.status;
}

export default (deps: WorkerDeps): Task => async (payload, helpers) => {
  const status = await issueRefund(helpers.withPgClient, deps, (payload as { refundId: string }).refundId);
  helpers.logger.debug(`refund is ${status}`);
};
