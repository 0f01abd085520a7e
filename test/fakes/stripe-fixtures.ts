// Stripe object shapes for fakes and webhook payloads. With ../shared/data/stripe-fixtures.json
// present (Stripe's published OpenAPI fixtures), objects start from those real shapes; without it,
// from the small ones below, which carry every field Boxoffice reads, so the same paths run offline.
import fs from 'node:fs';
import path from 'node:path';
import Stripe from 'stripe';
import { projectRoot } from '../../lib/config.ts';

export const FIXTURES_PATH = path.resolve(projectRoot, '../shared/data/stripe-fixtures.json');

const OWN: Record<string, Record<string, unknown>> = {
  'checkout.session': { object: 'checkout.session', mode: 'payment', status: 'open', payment_status: 'unpaid', metadata: {} },
  refund: { object: 'refund', status: 'succeeded', metadata: {} },
  charge: { object: 'charge', refunded: false, refunds: { object: 'list', data: [], has_more: false } },
  event: { object: 'event', api_version: '2025-01-01', livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null } },
};

let published: Record<string, Record<string, unknown>> | null | undefined;
function publishedShapes(): Record<string, Record<string, unknown>> | null {
  if (published === undefined) {
    published = fs.existsSync(FIXTURES_PATH) ? JSON.parse(fs.readFileSync(FIXTURES_PATH, 'utf8')).resources : null;
  }
  return published ?? null;
}

export const havePublishedFixtures = () => publishedShapes() !== null;

/** Which shapes to build from: 'published' (the real fixtures; needs the file) or 'own'. */
export type ShapeSource = 'published' | 'own';
let source: ShapeSource = 'published';
export function useShapes(which: ShapeSource) {
  source = which;
}

/** An object of `kind` with `fields` laid over the base shape. */
export function stripeShape(kind: string, fields: Record<string, unknown>): Record<string, any> {
  const base = (source === 'published' && publishedShapes()?.[kind]) || OWN[kind] || {};
  return { ...structuredClone(base), ...structuredClone(fields) };
}

let counter = 0;
/** A Stripe event around `object`, as a JSON string with its Stripe-Signature header. */
export function signedEvent(type: string, object: Record<string, unknown>, secret: string, eventId?: string): { id: string; body: string; signature: string } {
  const id = eventId ?? `evt_test_${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const event = stripeShape('event', { id, type, created: Math.floor(Date.now() / 1000), data: { object } });
  const body = JSON.stringify(event);
  return { id, body, signature: Stripe.webhooks.generateTestHeaderString({ payload: body, secret }) };
}
