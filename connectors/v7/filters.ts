import type { Delivery } from '../../core/connector-kit.js';
import type { V7Params } from './params.js';
import { isStageDelivery, type V7Payload } from './payload.js';

/**
 * `datasets` matches a stage delivery's dataset slug or name, and a team webhook's numeric
 * `dataset_id` (all a team webhook says of its dataset). `stages` applies to stage deliveries
 * only: a team webhook comes from no stage (it fires when an item reaches Complete).
 */
export function filterV7({ payload }: Delivery<V7Payload>, params: V7Params): string | undefined {
  if (!isStageDelivery(payload)) {
    const dataset = String(payload.payload.dataset_id);
    if (params.datasets && !params.datasets.includes(dataset)) return `dataset ${dataset} is not one of ${params.datasets.join(', ')}`;
    return undefined;
  }
  const dataset = payload.item.source_info.dataset;
  if (params.datasets && !params.datasets.some((wanted) => wanted === dataset?.slug || wanted === dataset?.name)) {
    return `dataset ${dataset?.slug ?? dataset?.name ?? '(none)'} is not one of ${params.datasets.join(', ')}`;
  }
  const stage = payload.stage?.name;
  if (params.stages && !params.stages.includes(stage ?? '')) return `stage ${stage ?? '(none)'} is not one of ${params.stages.join(', ')}`;
  return undefined;
}
