import { z } from 'zod';
import { hmacSecretsSchema } from '../../core/connector-kit.js';

const names = z.array(z.string().min(1)).min(1);

/** The `connector:` block of a GitHub trigger. */
export const githubParams = z.strictObject({
  /** The webhook's secret; a list, newest first, while rotating. */
  secret: hmacSecretsSchema('utf8'),
  /** Events that launch (`push`, `pull_request`, or `pull_request.opened` for one action). */
  events: names.default(['push']),
  /** Branch names or globs (`main`, `release/*`); any branch when absent. */
  branches: names.optional(),
  /** Tag names or globs; tag pushes launch only when this is set. */
  tags: names.optional(),
  /** `owner/name` of the repositories that launch; any when absent. */
  repositories: names.optional(),
  /** Launch for branch deletions too (`deleted: true` pushes). */
  include_deletions: z.boolean().default(false),
});

export type GithubParams = z.output<typeof githubParams>;
