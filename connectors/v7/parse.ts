import { createHash } from 'node:crypto';
import { parseBody, refuse, type Delivery, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import { isStageDelivery, v7Payload, v7StageDelivery, v7TeamWebhook, type V7Payload } from './payload.js';

export function parseV7(req: RawRequest): Verdict<Delivery<V7Payload>> {
  const body = parseBody(req);
  if (!body.ok) return body;
  if (body.value.kind !== 'json') return refuse('unparseable_body', 'a V7 webhook delivers JSON');
  const parsed = v7Payload.safeParse(body.value.value);
  if (!parsed.success) return refuse('payload_invalid', whyNotV7(body.value.value));
  const payload = parsed.data;
  if (!isStageDelivery(payload)) {
    // The documented body carries no event id to key repeats on; they are left to body-hash dedupe.
    return { ok: true, value: { payload, kind: payload.event_type, deliveryId: undefined } };
  }
  // V7 retries a stage 5 times with the same content; an item sent again after rework carries new
  // annotations and is a new delivery.
  const annotations = createHash('sha256').update(JSON.stringify(payload.annotations ?? [])).digest('hex').slice(0, 16);
  const deliveryId = `${payload.item.source_info.item_id}:${payload.stage?.name ?? payload.stage?.id ?? ''}:${annotations}`;
  return { ok: true, value: { payload, kind: 'item', deliveryId } };
}

/**
 * The union's own error says only that neither shape fits; this names the field at fault in the
 * shape the body was meant to be: a team webhook has an `event_type` and no `item`.
 */
function whyNotV7(body: unknown): string {
  const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
  const team = isObject && 'event_type' in body && !('item' in body);
  const issue = (team ? v7TeamWebhook : v7StageDelivery).safeParse(body).error?.issues[0];
  const where = issue ? `${issue.path.join('.') || '(body)'}: ${issue.message}` : '(body): not a V7 webhook';
  return `not a V7 ${team ? 'team webhook' : 'webhook-stage delivery'}: ${where}`;
}
