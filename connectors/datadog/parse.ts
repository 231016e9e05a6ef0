import { parseJsonPayload, refuse, type Delivery, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import { datadogPayload, type DatadogPayload } from './payload.js';

/**
 * Keys of the payload Datadog sends when the webhook's payload is left empty (docs.datadoghq.com
 * integrations/webhooks; the API's `payload: null` "uses the default payload"). It carries no
 * transition, so it could never launch: refused with the fix, never a quiet 200.
 */
const DEFAULT_PAYLOAD_KEYS = ['body', 'last_updated', 'event_type', 'org'];
const DEFAULT_PAYLOAD_MESSAGE = "receives Datadog's default payload; set the template given in the README's Datadog section";

export function parseDatadog(req: RawRequest): Verdict<Delivery<DatadogPayload>> {
  const payload = parseJsonPayload(req, datadogPayload, 'Datadog webhook (see the payload template)');
  if (!payload.ok) return payload;
  if (payload.value.transition === undefined && DEFAULT_PAYLOAD_KEYS.every((key) => key in payload.value)) return refuse('sender_misconfigured', DEFAULT_PAYLOAD_MESSAGE);
  return { ok: true, value: { payload: payload.value, kind: payload.value.transition ?? 'event', deliveryId: `${payload.value.id}:${payload.value.transition ?? ''}` } };
}
