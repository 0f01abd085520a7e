// Shared by the payments__* tasks: a payment's provider-side facts, and applying what the provider
// says through the same path as a webhook (lib/payments/events.ts).
import { applyPaymentEvent } from '../lib/payments/events.ts';
import type { SessionState } from '../lib/payments/gateway.ts';
import { inTransaction, type WithClient } from './deps.ts';

export interface PaymentInfo {
  id: string;
  booking_id: string;
  provider: string;
  status: 'pending' | 'paid' | 'failed' | 'expired';
  amount: number;
  currency: string;
  expires_at: Date;
  provider_ref: string | null;
  provider_payment_ref: string | null;
}

export async function paymentInfo(withClient: WithClient, paymentId: string): Promise<PaymentInfo | null> {
  return withClient(async (client) =>
    (await client.query<PaymentInfo>('select * from app_private.payment_info($1)', [paymentId])).rows[0] ?? null);
}

/** Records the provider's view of a session: paid confirms (or refunds), ended expires a pending attempt. */
export async function applySessionState(withClient: WithClient, paymentId: string, state: SessionState): Promise<void> {
  await inTransaction(withClient, async (client) => {
    if (state.paid) await applyPaymentEvent(client, { kind: 'payment_succeeded', paymentId, paymentRef: state.paymentRef });
    else if (state.status === 'expired') await applyPaymentEvent(client, { kind: 'payment_expired', paymentId });
  });
}
