/** A Stripe event object. */
import { z } from 'zod';

export const stripePayload = z.looseObject({
  id: z.string().describe('evt_…, the same on every retry'),
  object: z.literal('event').optional(),
  type: z.string().describe('e.g. checkout.session.completed'),
  created: z.number().optional(),
  livemode: z.boolean().optional(),
  api_version: z.string().nullable().optional(),
  data: z.looseObject({ object: z.record(z.string(), z.unknown()), previous_attributes: z.record(z.string(), z.unknown()).optional() }),
});

export type StripePayload = z.output<typeof stripePayload>;
