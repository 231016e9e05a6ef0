import type { Delivery } from '../../core/connector-kit.js';
import type { V7Params } from './params.js';
import type { V7Payload } from './payload.js';

export function filterV7({ payload }: Delivery<V7Payload>, params: V7Params): string | undefined {
  const dataset = payload.item.source_info.dataset;
  if (params.datasets && !params.datasets.includes(dataset.slug ?? '') && !params.datasets.includes(dataset.name)) {
    return `dataset ${dataset.slug ?? dataset.name} is not one of ${params.datasets.join(', ')}`;
  }
  const stage = payload.stage?.name;
  if (params.stages && !params.stages.includes(stage ?? '')) return `stage ${stage ?? '(none)'} is not one of ${params.stages.join(', ')}`;
  return undefined;
}
