/**
 * A V7 Darwin workflow webhook-stage delivery: the item with its dataset and source files, and
 * the annotations (Darwin JSON 2.0) when the stage includes them. Field names follow V7's export
 * format; everything beyond the item's identity is optional. The source of the generated parsers.
 */
import { z } from 'zod';

const named = z.looseObject({ name: z.string(), slug: z.string().optional() });

export const v7Payload = z.looseObject({
  version: z.string().optional(),
  item: z.looseObject({
    name: z.string(),
    path: z.string().optional(),
    source_info: z.looseObject({
      item_id: z.string(),
      dataset: named.extend({ dataset_management_url: z.string().optional() }),
      team: named.optional(),
      workview_url: z.string().optional(),
    }),
    slots: z
      .array(
        z.looseObject({
          slot_name: z.string().optional(),
          type: z.string().optional(),
          width: z.number().optional(),
          height: z.number().optional(),
          source_files: z.array(z.looseObject({ file_name: z.string(), url: z.string().optional() })).optional(),
        }),
      )
      .optional(),
  }),
  annotations: z.array(z.looseObject({ id: z.string().optional(), name: z.string().optional(), slot_names: z.array(z.string()).optional() })).optional(),
  stage: z.looseObject({ name: z.string().optional(), id: z.union([z.string(), z.number()]).optional(), type: z.string().optional() }).optional(),
  workflow: z.looseObject({ name: z.string().optional(), id: z.union([z.string(), z.number()]).optional() }).optional(),
});

export type V7Payload = z.output<typeof v7Payload>;
