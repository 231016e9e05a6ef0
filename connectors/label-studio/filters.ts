import type { Delivery } from '../../core/connector-kit.js';
import type { LabelStudioParams } from './params.js';
import type { LabelStudioPayload } from './payload.js';

export function filterLabelStudio({ payload }: Delivery<LabelStudioPayload>, params: LabelStudioParams): string | undefined {
  if (params.actions && !params.actions.includes(payload.action)) return `action ${payload.action} is not one of ${params.actions.join(', ')}`;
  if (params.project_ids && !params.project_ids.includes(payload.project?.id ?? -1)) return `project ${payload.project?.id ?? '(none)'} is not one of ${params.project_ids.join(', ')}`;
  if (params.when_all_tasks_finished) {
    const { task_number: total, finished_task_number: finished } = payload.project ?? {};
    if (total === undefined || finished === undefined || finished < total) return `project not finished yet (${finished ?? '?'} of ${total ?? '?'} tasks)`;
  }
  return undefined;
}
