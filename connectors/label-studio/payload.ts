/**
 * A Label Studio webhook: `{action, project, task(s), annotation(s)}` depending on the action.
 * Bulk actions carry lists (label_studio/webhooks/models.py, WebhookAction.ACTIONS): TASKS_CREATED
 * and TASKS_DELETED under `tasks`, ANNOTATIONS_DELETED under `annotations`, and ANNOTATIONS_CREATED
 * under `annotation` and `task` (the single-event keys, with `many: True`).
 */
import { z } from 'zod';

const object = z.looseObject({ id: z.number(), updated_at: z.string().optional() });
const annotation = object.extend({ result: z.array(z.unknown()).optional(), completed_by: z.unknown().optional() });

export const labelStudioPayload = z.looseObject({
  action: z.string().describe('ANNOTATION_CREATED, ANNOTATIONS_CREATED, TASKS_CREATED, …'),
  project: z
    .looseObject({ id: z.number(), title: z.string().optional(), task_number: z.number().optional(), finished_task_number: z.number().optional(), total_annotations_number: z.number().optional() })
    .optional(),
  task: z.union([object, z.array(object)]).optional().describe('A list for ANNOTATIONS_CREATED'),
  tasks: z.array(object).optional(),
  annotation: z.union([annotation, z.array(annotation)]).optional().describe('A list for ANNOTATIONS_CREATED'),
  annotations: z.array(object).optional(),
});

export type LabelStudioPayload = z.output<typeof labelStudioPayload>;
