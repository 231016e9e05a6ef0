/** A Label Studio webhook: `{action, project, task(s), annotation(s)}` depending on the action. */
import { z } from 'zod';

const object = z.looseObject({ id: z.number(), updated_at: z.string().optional() });

export const labelStudioPayload = z.looseObject({
  action: z.string().describe('ANNOTATION_CREATED, ANNOTATIONS_CREATED, TASKS_CREATED, …'),
  project: z
    .looseObject({ id: z.number(), title: z.string().optional(), task_number: z.number().optional(), finished_task_number: z.number().optional(), total_annotations_number: z.number().optional() })
    .optional(),
  task: object.optional(),
  tasks: z.array(object).optional(),
  annotation: object.extend({ result: z.array(z.unknown()).optional(), completed_by: z.unknown().optional() }).optional(),
  annotations: z.array(object).optional(),
});

export type LabelStudioPayload = z.output<typeof labelStudioPayload>;
