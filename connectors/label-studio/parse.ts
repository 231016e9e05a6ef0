import { createHash } from 'node:crypto';
import { parseJsonPayload, type Delivery, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import { labelStudioPayload, type LabelStudioPayload } from './payload.js';

export function parseLabelStudio(req: RawRequest): Verdict<Delivery<LabelStudioPayload>> {
  const payload = parseJsonPayload(req, labelStudioPayload, 'Label Studio webhook');
  if (!payload.ok) return payload;
  return { ok: true, value: { payload: payload.value, kind: payload.value.action, deliveryId: deliveryIdOf(payload.value) } };
}

/**
 * No delivery id header. A single event: the action, the object it is about and when it last
 * changed. A bulk event (an import, a bulk delete): the ids of every object it carries, which no
 * other import or delete repeats; keying on the project alone (#11) swallowed the second import.
 */
function deliveryIdOf({ action, annotation, annotations, task, tasks, project }: LabelStudioPayload): string {
  const carried = Array.isArray(annotation) ? annotation : (annotations ?? (Array.isArray(task) ? task : tasks));
  if (carried) {
    // An import can carry thousands of tasks: the sorted ids are hashed to keep the key short.
    const ids = carried.map((o) => o.id).sort((a, b) => a - b).join(',');
    return `${action}:${project?.id ?? ''}:${carried.length}:${createHash('sha256').update(ids).digest('hex').slice(0, 32)}`;
  }
  const subject = one(annotation) ?? one(task) ?? project;
  return `${action}:${subject?.id ?? ''}:${one(annotation)?.updated_at ?? one(task)?.updated_at ?? ''}`;
}

function one<T>(value: T | T[] | undefined): T | undefined {
  return Array.isArray(value) ? undefined : value;
}
