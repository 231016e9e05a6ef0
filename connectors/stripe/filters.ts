import { matchesGlob, type Delivery } from '../../core/connector-kit.js';
import type { StripeParams } from './params.js';
import type { StripePayload } from './payload.js';

export function filterStripe({ payload }: Delivery<StripePayload>, params: StripeParams): string | undefined {
  if (params.events && !params.events.some((glob) => matchesGlob(payload.type, glob))) return `event ${payload.type} is not one of ${params.events.join(', ')}`;
  if (!params.include_test_mode && payload.livemode === false) return 'test-mode event (include_test_mode is off)';
  return undefined;
}
