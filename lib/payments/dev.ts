// The built-in `dev` provider: no network. Its checkout page (server/routes/dev.ts) is the "provider";
// pressing Pay there produces the same internal event as a Stripe webhook (lib/payments/events.ts).
import type { Config } from '../config.ts';
import type { PaymentGateway } from './gateway.ts';

// Reads publicUrl at each call: a server on port 0 learns its URL after it started listening.
export function devGateway(config: Pick<Config, 'publicUrl'>): PaymentGateway {
  return {
    provider: 'dev',
    async createCheckout(request) {
      return { ref: `dev_cs_${request.paymentId}`, url: `${config.publicUrl}/dev/checkout/${request.paymentId}` };
    },
    // The page records a payment at once, so a dev session that is asked about was never paid.
    async getSession() {
      return { status: 'open', paid: false, paymentRef: null };
    },
    async expireSession() {
      return { status: 'expired', paid: false, paymentRef: null };
    },
    async refund(request) {
      return { ref: `dev_re_${request.refundId}`, status: 'succeeded' };
    },
    async getRefund(ref) {
      return { ref, status: 'succeeded' };
    },
  };
}
