import { header, parseJsonPayload, type Delivery, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import { standardWebhooksPayload, type StandardWebhooksPayload } from './payload.js';

export function parseStandardWebhooks(req: RawRequest): Verdict<Delivery<StandardWebhooksPayload>> {
  const payload = parseJsonPayload(req, standardWebhooksPayload, 'Standard Webhooks');
  if (!payload.ok) return payload;
  // webhook-id stays the same across the sender's retries.
  return { ok: true, value: { payload: payload.value, kind: payload.value.type ?? 'event', deliveryId: header(req, 'webhook-id') } };
}
