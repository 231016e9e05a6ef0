import { z } from 'zod';
import { secretsSchema } from '../../core/connector-kit.js';

/** The `connector:` block of a Datadog trigger (no signing: a header from `custom_headers`). */
export const datadogParams = z.strictObject({
  secret: secretsSchema,
  header: z.string().min(1).default('Authorization'),
  prefix: z.string().default('Bearer '),
  /** `$ALERT_TRANSITION` values that launch. */
  transitions: z.array(z.string().min(1)).min(1).default(['Triggered']),
  /** `$ALERT_PRIORITY` values (P1 … P5) that launch; any when absent. */
  priorities: z.array(z.string().min(1)).min(1).optional(),
  /** Tags that must all be on the event (`env:prod`). */
  tags: z.array(z.string().min(1)).min(1).optional(),
});

export type DatadogParams = z.output<typeof datadogParams>;
