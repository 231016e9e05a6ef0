/**
 * What V7 Darwin posts, decoded. It posts one of two bodies:
 * - a workflow **webhook stage** delivery: the item with its dataset and source files, and the
 *   annotations (Darwin JSON 2.0) when the stage includes them
 *   (docs.v7labs.com/reference/webhook-payload-format);
 * - a **team webhook** (the dataset webhooks of docs.v7labs.com/docs/webhooks):
 *   `{"event_type": "workflow_complete", "payload": {"dataset_id", "filename", "annotations"}}`.
 * The source of the generated parsers.
 *
 * Only what identifies the item is required: V7 says the stage's metadata "has a slightly
 * different structure" from the export format, and darwin-py writes unknown metadata as null, so
 * a genuine delivery must never be refused because of a field the trigger does not use. Every
 * object keeps unknown keys.
 */
import { z } from 'zod';

const text = z.string().nullish();
const numberOrText = z.union([z.string(), z.number()]).nullish();
const named = z.looseObject({ name: text, slug: text });

export const v7StageDelivery = z.looseObject({
  version: text,
  schema_ref: text,
  item: z.looseObject({
    name: text,
    path: text,
    source_info: z.looseObject({
      item_id: z.string().describe("The item's id in V7; with the stage and the annotations it identifies a delivery"),
      dataset: named.extend({ dataset_management_url: text }).nullish(),
      team: named.nullish(),
      workview_url: text,
    }),
    slots: z
      .array(
        z.looseObject({
          slot_name: text,
          type: text,
          width: z.number().nullish(),
          height: z.number().nullish(),
          source_files: z.array(z.looseObject({ file_name: text, url: text })).nullish(),
        }),
      )
      .nullish(),
  }),
  annotations: z.array(z.looseObject({ id: text, name: text, slot_names: z.array(z.string()).nullish() })).nullish(),
  stage: z.looseObject({ name: text, id: numberOrText, type: text }).nullish(),
  workflow: z.looseObject({ name: text, id: numberOrText }).nullish(),
});

export const v7TeamWebhook = z.looseObject({
  event_type: z.string().describe('workflow_complete: an item of the dataset reached the Complete status'),
  payload: z.looseObject({
    dataset_id: z.union([z.number().int(), z.string()]).describe("The dataset's numeric id in V7"),
    filename: z.string(),
    annotations: z
      .array(
        z.looseObject({
          class_name: text,
          data: z.record(z.string(), z.unknown()).nullish().describe('The shape and its value, keyed by annotation type (bounding_box, text, ...)'),
        }),
      )
      .nullish(),
  }),
});

// Stage first: a body that is both (it has an item and an event_type) is a stage delivery.
export const v7Payload = z.union([v7StageDelivery.meta({ title: 'StageDelivery' }), v7TeamWebhook.meta({ title: 'TeamWebhook' })]);

export type V7Payload = z.output<typeof v7Payload>;
export type V7StageDelivery = z.output<typeof v7StageDelivery>;
export type V7TeamWebhook = z.output<typeof v7TeamWebhook>;

// Loose objects admit any key, so `in` checks do not narrow; this does (the union tries the
// stage shape first, so a payload that has an item id was parsed as one).
export function isStageDelivery(payload: V7Payload): payload is V7StageDelivery {
  const item = payload.item as { source_info?: { item_id?: unknown } } | null | undefined;
  return typeof item?.source_info?.item_id === 'string';
}
