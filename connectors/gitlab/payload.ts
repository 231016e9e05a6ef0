/** A GitLab webhook body: every event carries object_kind; pushes fill ref/before/after/commits. */
import { z } from 'zod';

export const gitlabPayload = z.looseObject({
  object_kind: z.string().describe('push, tag_push, merge_request, pipeline, …'),
  event_name: z.string().optional(),
  ref: z.string().optional(),
  before: z.string().optional(),
  after: z.string().optional(),
  checkout_sha: z.string().nullable().optional(),
  user_username: z.string().optional(),
  project: z.looseObject({ id: z.number(), path_with_namespace: z.string(), git_http_url: z.string().optional(), default_branch: z.string().optional() }).optional(),
  commits: z.array(z.looseObject({ id: z.string(), message: z.string().optional() })).optional(),
  total_commits_count: z.number().optional(),
  object_attributes: z.looseObject({}).optional(),
});

export type GitlabPayload = z.output<typeof gitlabPayload>;
