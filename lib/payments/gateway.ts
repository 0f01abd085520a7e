// The one interface the server and the worker use to talk to a payment provider. Each provider
// (lib/payments/stripe.ts, lib/payments/dev.ts) implements it; the rest of the code never names one.

export type Provider = 'dev' | 'stripe';

export interface CheckoutRequest {
  paymentId: string;
  bookingId: string;
  /** Integer minor units (ISO 4217) and currency; each gateway converts to its own units. */
  currency: string;
  lineItems: Array<{ name: string; unitAmount: number; quantity: number }>;
  customerEmail: string | null;
  /** When the provider's session should stop taking money (providers may clamp it). */
  expiresAt: Date;
  /** When the payment attempt was made; a retried request must repeat the same parameters. */
  createdAt: Date;
  successUrl: string;
  cancelUrl: string;
}

export interface CheckoutSession {
  ref: string;
  url: string;
}

/** What the provider says about a checkout session. */
export interface SessionState {
  status: 'open' | 'complete' | 'expired';
  paid: boolean;
  /** The provider's id of the money movement (Stripe PaymentIntent), once there is one. */
  paymentRef: string | null;
}

export interface RefundRequest {
  refundId: string;
  paymentRef: string | null;
  sessionRef: string | null;
  amount: number;
  currency: string;
}

export interface RefundResult {
  ref: string;
  status: 'pending' | 'succeeded' | 'failed';
}

export interface PaymentGateway {
  readonly provider: Provider;
  /** Idempotent per paymentId: a repeat returns the session made the first time. */
  createCheckout(request: CheckoutRequest): Promise<CheckoutSession>;
  getSession(ref: string): Promise<SessionState>;
  /** Closes an open session; a session that already ended is returned as it is. */
  expireSession(ref: string): Promise<SessionState>;
  /** Idempotent per refundId: retries never pay out twice. */
  refund(request: RefundRequest): Promise<RefundResult>;
  /** A refund's state now (for one the provider left pending). */
  getRefund(ref: string): Promise<RefundResult>;
}

/** The provider failed or did not answer; the caller may try again (same idempotency key). */
export class ProviderError extends Error {
  readonly provider: Provider;
  constructor(provider: Provider, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProviderError';
    this.provider = provider;
  }
}

export type Gateways = Partial<Record<Provider, PaymentGateway>>;

export function gatewayFor(gateways: Gateways, provider: string): PaymentGateway {
  const gateway = gateways[provider as Provider];
  if (!gateway) throw new Error(`payment provider ${provider} is not configured here (set its keys)`);
  return gateway;
}
