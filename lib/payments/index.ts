// The gateways this process can use: always `dev`, and Stripe when STRIPE_SECRET_KEY is set. Payments
// keep the provider they were made with, so a payment is always followed up by its own provider.
import type { Config } from '../config.ts';
import { devGateway } from './dev.ts';
import type { Gateways } from './gateway.ts';
import { stripeGateway, type StripeGateway } from './stripe.ts';

export interface PaymentGateways extends Gateways {
  stripe?: StripeGateway;
}

export function makeGateways(config: Config): PaymentGateways {
  return {
    dev: devGateway(config),
    ...(config.stripe.secretKey ? { stripe: stripeGateway(config) } : {}),
  };
}
