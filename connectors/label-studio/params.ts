import { z } from 'zod';
import { secretsSchema } from '../../core/connector-kit.js';

/** The `connector:` block of a Label Studio trigger (webhooks carry no signature: a header token). */
export const labelStudioParams = z.strictObject({
  secret: secretsSchema,
  /** The header set in the webhook's "headers" and the part before the token. */
  header: z.string().min(1).default('Authorization'),
  prefix: z.string().default('Token '),
  /** Actions that launch (ANNOTATION_CREATED, ANNOTATIONS_CREATED, ANNOTATION_UPDATED, …); any when absent. */
  actions: z.array(z.string().min(1)).min(1).optional(),
  project_ids: z.array(z.number().int()).min(1).optional(),
  /** Launch only once every task of the project has been annotated. */
  when_all_tasks_finished: z.boolean().default(false),
});

export type LabelStudioParams = z.output<typeof labelStudioParams>;
