import type { Delivery } from '../../core/connector-kit.js';
import type { StandardWebhooksParams } from './params.js';
import type { StandardWebhooksPayload } from './payload.js';

export function filterStandardWebhooks({ payload }: Delivery<StandardWebhooksPayload>, params: StandardWebhooksParams): string | undefined {
  if (params.types && !params.types.includes(payload.type ?? '')) return `event type ${payload.type ?? '(none)'} is not one of ${params.types.join(', ')}`;
  return undefined;
}
