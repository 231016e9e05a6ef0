import { parseJsonPayload, type Delivery, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import { labelStudioPayload, type LabelStudioPayload } from './payload.js';

export function parseLabelStudio(req: RawRequest): Verdict<Delivery<LabelStudioPayload>> {
  const payload = parseJsonPayload(req, labelStudioPayload, 'Label Studio webhook');
  if (!payload.ok) return payload;
  // No delivery id header: the action, the object it is about and when it last changed.
  const { action, annotation, task, project } = payload.value;
  const subject = annotation ?? task ?? project;
  const deliveryId = `${action}:${subject?.id ?? ''}:${annotation?.updated_at ?? task?.updated_at ?? ''}`;
  return { ok: true, value: { payload: payload.value, kind: action, deliveryId } };
}
