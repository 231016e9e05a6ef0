import { parseJsonPayload, type Delivery, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import { stripePayload, type StripePayload } from './payload.js';

export function parseStripe(req: RawRequest): Verdict<Delivery<StripePayload>> {
  const payload = parseJsonPayload(req, stripePayload, 'Stripe event');
  if (!payload.ok) return payload;
  return { ok: true, value: { payload: payload.value, kind: payload.value.type, deliveryId: payload.value.id } };
}
