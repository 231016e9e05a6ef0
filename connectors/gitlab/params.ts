import { z } from 'zod';
import { refineHmacSecrets, secretsSchema, timestampTolerance } from '../../core/connector-kit.js';

const names = z.array(z.string().min(1)).min(1);

/** The `connector:` block of a GitLab trigger. */
export const gitlabParams = z.strictObject({
  /** The webhook's secret token (token mode) or its `whsec_` signing token (signed mode); newest first. */
  secret: secretsSchema,
  /** token: X-Gitlab-Token compared as is; signed: the signing token's Standard Webhooks signature. */
  mode: z.enum(['token', 'signed']).default('token'),
  /** object_kind values that launch: push, tag_push, merge_request, pipeline, … */
  events: names.default(['push']),
  /** Branch names or globs for push events; any when absent. */
  branches: names.optional(),
  /** `group/project` paths that launch; any when absent. */
  projects: names.optional(),
  include_deletions: z.boolean().default(false),
  tolerance: timestampTolerance(),
}).superRefine((p, ctx) => {
  if (p.mode === 'signed') refineHmacSecrets(p.secret, 'base64', ctx, ['secret']);
});

export type GitlabParams = z.output<typeof gitlabParams>;
