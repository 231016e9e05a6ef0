import { parseJsonPayload, type Delivery, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import { datadogPayload, type DatadogPayload } from './payload.js';

export function parseDatadog(req: RawRequest): Verdict<Delivery<DatadogPayload>> {
  const payload = parseJsonPayload(req, datadogPayload, 'Datadog webhook (see the payload template)');
  if (!payload.ok) return payload;
  return { ok: true, value: { payload: payload.value, kind: payload.value.transition ?? 'event', deliveryId: `${payload.value.id}:${payload.value.transition ?? ''}` } };
}
