import { z } from 'zod';
import { hmacSecretsSchema, timestampTolerance } from '../../core/connector-kit.js';

/** The `connector:` block of a Standard Webhooks trigger (standardwebhooks.com; also Svix, Replicate, GitLab signing tokens). */
export const standardWebhooksParams = z.strictObject({
  /** `whsec_<base64>` signing secrets, newest first. */
  secret: hmacSecretsSchema('base64'),
  /** `whpk_<base64>` (or bare base64) Ed25519 public keys, to accept asymmetric `v1a,` signatures too. */
  public_keys: z.array(z.string().min(1)).min(1).optional(),
  /** Event types (the body's `type`) that launch; any when absent. */
  types: z.array(z.string().min(1)).min(1).optional(),
  tolerance: timestampTolerance(),
});

export type StandardWebhooksParams = z.output<typeof standardWebhooksParams>;
