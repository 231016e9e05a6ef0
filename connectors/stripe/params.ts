import { z } from 'zod';
import { hmacSecretsSchema, timestampTolerance } from '../../core/connector-kit.js';

/** The `connector:` block of a Stripe trigger. */
export const stripeParams = z.strictObject({
  /** The endpoint's signing secret (`whsec_…`, used as is); a list, newest first, while rolling it. */
  secret: hmacSecretsSchema('utf8'),
  /** Event types or globs that launch (`checkout.session.completed`, `invoice.*`); any when absent. */
  events: z.array(z.string().min(1)).min(1).optional(),
  /** Launch for test-mode events too. */
  include_test_mode: z.boolean().default(true),
  tolerance: timestampTolerance(),
});

export type StripeParams = z.output<typeof stripeParams>;
