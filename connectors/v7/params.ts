import { z } from 'zod';
import { refineHmacSecrets, secretsSchema, timestampTolerance } from '../../core/connector-kit.js';

const names = z.array(z.string().min(1)).min(1);

/** The `connector:` block of a V7 Darwin trigger. */
export const v7Params = z.strictObject({
  /** The token entered in the webhook stage (token mode), or the team's webhook_signing_key (signed mode). */
  secret: secretsSchema,
  /** token: the workflow webhook stage's Authorization value; signed: team webhooks' v7-signature. */
  mode: z.enum(['token', 'signed']).default('token'),
  /** Token mode: the header carrying it and the part before the token (e.g. "Bearer "). */
  header: z.string().min(1).default('Authorization'),
  prefix: z.string().default(''),
  /** Dataset slugs or names that launch; any when absent. */
  datasets: names.optional(),
  /** Workflow stage names that launch; any when absent. */
  stages: names.optional(),
  /** Signed mode: seconds either side of now the signature's t= may be. */
  tolerance: timestampTolerance(),
}).superRefine((p, ctx) => {
  if (p.mode === 'signed') refineHmacSecrets(p.secret, 'utf8', ctx, ['secret']);
});

export type V7Params = z.output<typeof v7Params>;
