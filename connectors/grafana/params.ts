import { z } from 'zod';
import { refineHmacSecrets, secretsSchema, timestampTolerance } from '../../core/connector-kit.js';

/** The `connector:` block of a Grafana alerting trigger (webhook contact point). */
export const grafanaParams = z.strictObject({
  /** bearer: `Authorization: Bearer <secret>`; basic: user + secret as password; hmac: the contact point's HMAC signature. */
  auth: z.enum(['bearer', 'basic', 'hmac']).default('hmac'),
  secret: secretsSchema,
  user: z.string().min(1).optional(),
  /** HMAC: the signature header; both names seen in the wild are accepted by default. */
  signature_header: z.string().min(1).optional(),
  /** HMAC: when set in Grafana, the signed string is "{timestamp}:{body}". */
  timestamp_header: z.string().min(1).optional(),
  /** Alert group statuses that launch. */
  statuses: z.array(z.enum(['firing', 'resolved'])).min(1).default(['firing']),
  /** Labels that must all match (commonLabels, or every alert's labels). */
  labels: z.record(z.string(), z.string()).optional(),
  tolerance: timestampTolerance(),
})
  .refine((p) => p.auth !== 'basic' || p.user !== undefined, { message: 'auth: basic needs user', path: ['user'] })
  .superRefine((p, ctx) => {
    if (p.auth === 'hmac') refineHmacSecrets(p.secret, 'utf8', ctx, ['secret']);
  });

export type GrafanaParams = z.output<typeof grafanaParams>;
