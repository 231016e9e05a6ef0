import type { Delivery } from '../../core/connector-kit.js';
import type { DatadogParams } from './params.js';
import type { DatadogPayload } from './payload.js';

export function filterDatadog({ payload }: Delivery<DatadogPayload>, params: DatadogParams): string | undefined {
  if (!params.transitions.includes(payload.transition ?? '')) return `transition ${payload.transition ?? '(none)'} is not one of ${params.transitions.join(', ')}`;
  if (params.priorities && !params.priorities.includes(payload.priority ?? '')) return `priority ${payload.priority ?? '(none)'} is not one of ${params.priorities.join(', ')}`;
  const tags = new Set((payload.tags ?? '').split(',').map((t) => t.trim()).filter(Boolean));
  const missing = params.tags?.filter((t) => !tags.has(t));
  if (missing?.length) return `tag${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing`;
  return undefined;
}
