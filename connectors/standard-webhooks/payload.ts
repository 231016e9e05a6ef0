/** The spec's suggested envelope `{type, timestamp, data}`; senders may send any JSON. */
import { z } from 'zod';

export const standardWebhooksPayload = z.looseObject({
  type: z.string().optional().describe('The event type, e.g. invoice.paid'),
  timestamp: z.string().optional(),
  data: z.unknown().optional(),
});

export type StandardWebhooksPayload = z.output<typeof standardWebhooksPayload>;
