import { perParams, staticTokenCheck, type Clock, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import type { LabelStudioParams } from './params.js';

const check = perParams((params: LabelStudioParams) => staticTokenCheck({ key: params.header, prefix: params.prefix, secret: params.secret }));

export async function verifyLabelStudio(req: RawRequest, params: LabelStudioParams, clock: Clock): Promise<Verdict<void>> {
  return check(params)(req, clock);
}

export function signLabelStudio(body: Buffer, contentType: string, params: LabelStudioParams): Record<string, string> {
  return { 'content-type': contentType, [params.header.toLowerCase()]: `${params.prefix}${params.secret[0]!}` };
}

export function sampleLabelStudio(params: LabelStudioParams): { body: string; contentType: string } {
  const project = { id: params.project_ids?.[0] ?? 1, title: 'Test', task_number: 10, finished_task_number: 10, total_annotations_number: 10 };
  return { body: JSON.stringify({ action: params.actions?.[0] ?? 'ANNOTATION_CREATED', project, task: { id: 7 }, annotation: { id: Date.now(), updated_at: new Date().toISOString(), result: [] } }), contentType: 'application/json' };
}

/** What this connector verifies, in words (`hooklaunch check`, the page), from the same constants as the check. */
export const describeLabelStudioVerification = (params: LabelStudioParams): string => `token in ${params.header}${params.prefix ? ` after "${params.prefix}"` : ''}`;
