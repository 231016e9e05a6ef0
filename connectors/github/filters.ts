import { matchesGlob, type Delivery } from '../../core/connector-kit.js';
import type { GithubParams } from './params.js';
import type { GithubPayload } from './payload.js';

const ZERO_SHA = '0'.repeat(40);

/** Events, repositories, branches and tags; branch deletions are ignored unless asked for. */
export function filterGithub({ payload, kind }: Delivery<GithubPayload>, params: GithubParams): string | undefined {
  const event = kind.split('.')[0]!;
  if (!params.events.includes(event) && !params.events.includes(kind)) return `event ${kind} is not one of ${params.events.join(', ')}`;
  const repository = payload.repository?.full_name;
  if (params.repositories && !params.repositories.includes(repository ?? '')) return `repository ${repository ?? '(none)'} is not one of ${params.repositories.join(', ')}`;
  const ref = payload.ref;
  if (event !== 'push' || ref === undefined) return undefined;
  if (!params.include_deletions && (payload.deleted === true || payload.after === ZERO_SHA)) return `${ref} was deleted`;
  if (ref.startsWith('refs/tags/')) {
    const tag = ref.slice('refs/tags/'.length);
    if (!params.tags) return `tag push ${tag} (set tags: to launch for tags)`;
    return params.tags.some((glob) => matchesGlob(tag, glob)) ? undefined : `tag ${tag} does not match ${params.tags.join(', ')}`;
  }
  if (ref.startsWith('refs/heads/')) {
    const branch = ref.slice('refs/heads/'.length);
    if (params.branches && !params.branches.some((glob) => matchesGlob(branch, glob))) return `branch ${branch} does not match ${params.branches.join(', ')}`;
    return undefined;
  }
  return `ref ${ref} is neither a branch nor a tag`;
}
