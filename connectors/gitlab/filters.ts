import { matchesGlob, type Delivery } from '../../core/connector-kit.js';
import type { GitlabParams } from './params.js';
import type { GitlabPayload } from './payload.js';

const ZERO_SHA = '0'.repeat(40);

export function filterGitlab({ payload }: Delivery<GitlabPayload>, params: GitlabParams): string | undefined {
  if (!params.events.includes(payload.object_kind)) return `event ${payload.object_kind} is not one of ${params.events.join(', ')}`;
  const project = payload.project?.path_with_namespace;
  if (params.projects && !params.projects.includes(project ?? '')) return `project ${project ?? '(none)'} is not one of ${params.projects.join(', ')}`;
  if (payload.object_kind !== 'push' || payload.ref === undefined) return undefined;
  if (!params.include_deletions && payload.after === ZERO_SHA) return `${payload.ref} was deleted`;
  const branch = payload.ref.replace(/^refs\/heads\//, '');
  if (params.branches && !params.branches.some((glob) => matchesGlob(branch, glob))) return `branch ${branch} does not match ${params.branches.join(', ')}`;
  return undefined;
}
