import { createHash } from 'node:crypto';
import { parseBody, refuse, type Delivery, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import { v7Payload, type V7Payload } from './payload.js';

export function parseV7(req: RawRequest): Verdict<Delivery<V7Payload>> {
  const body = parseBody(req);
  if (!body.ok) return body;
  if (body.value.kind !== 'json') return refuse('unparseable_body', 'a V7 webhook delivers JSON');
  const parsed = v7Payload.safeParse(body.value.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return refuse('payload_invalid', `not a V7 webhook payload: ${issue.path.join('.') || '(body)'}: ${issue.message}`);
  }
  const payload = parsed.data;
  // V7 retries a stage 5 times with the same content; an item sent again after rework carries new
  // annotations and is a new delivery.
  const annotations = createHash('sha256').update(JSON.stringify(payload.annotations ?? [])).digest('hex').slice(0, 16);
  const deliveryId = `${payload.item.source_info.item_id}:${payload.stage?.name ?? payload.stage?.id ?? ''}:${annotations}`;
  return { ok: true, value: { payload, kind: 'item', deliveryId } };
}
