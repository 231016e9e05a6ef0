/**
 * A GitHub webhook payload, decoded from JSON or from the form field `payload=`. Every event
 * shares these fields loosely (all optional), so one schema reads every event type; push
 * deliveries fill ref/before/after/commits. The source of the generated parsers.
 */
import { z } from 'zod';

const account = z.looseObject({ login: z.string(), id: z.number().optional() });

const commit = z.looseObject({
  id: z.string(),
  message: z.string().optional(),
  timestamp: z.string().optional(),
  url: z.string().optional(),
  added: z.array(z.string()).optional(),
  removed: z.array(z.string()).optional(),
  modified: z.array(z.string()).optional(),
});

const repository = z.looseObject({
  id: z.number(),
  name: z.string(),
  full_name: z.string(),
  clone_url: z.string().optional(),
  default_branch: z.string().optional(),
  private: z.boolean().optional(),
});

export const githubPayload = z.looseObject({
  action: z.string().optional(),
  ref: z.string().optional().describe('refs/heads/<branch> or refs/tags/<tag> (push, create, delete)'),
  ref_type: z.string().optional(),
  before: z.string().optional(),
  after: z.string().optional().describe('The commit a push moved the ref to (40 zeros on deletion)'),
  created: z.boolean().optional(),
  deleted: z.boolean().optional(),
  forced: z.boolean().optional(),
  compare: z.string().optional(),
  commits: z.array(commit).optional(),
  head_commit: commit.nullable().optional(),
  pusher: z.looseObject({ name: z.string(), email: z.string().nullable().optional() }).optional(),
  repository: repository.optional(),
  sender: account.optional(),
  zen: z.string().optional(),
  hook_id: z.number().optional(),
});

export type GithubPayload = z.output<typeof githubPayload>;

/**
 * The fields the connector itself reads (delivery kind, filters, the ping answer), checked as
 * `githubPayload` checks them, for triggers that read nothing else of the payload. Plain objects,
 * not loose ones: a loose object copies every other key (a push's repository has ~80), and that
 * copy was most of the cost of checking a delivery.
 */
export const githubOwnFields = z.object({
  action: githubPayload.shape.action,
  ref: githubPayload.shape.ref,
  after: githubPayload.shape.after,
  deleted: githubPayload.shape.deleted,
  repository: z.object(repository.shape).optional(),
  hook_id: githubPayload.shape.hook_id,
});
