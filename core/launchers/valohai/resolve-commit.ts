/**
 * A commit reference from the config (`main`, `release`, a short sha) → the identifier Valohai
 * knows, before it goes into an execution or pipeline body. Valohai's API takes `commit` as an
 * identifier; valohai-cli never sends a ref as is either (valohai_cli/utils/commits.py
 * `resolve_commit`, valohai_cli/models/project.py `load_commit_list` / `resolve_commits`).
 */
import type { LaunchFailure } from '../../launch/launcher.js';
import type { ValohaiApi } from './valohai-api.js';

interface CommitEntry {
  readonly identifier?: unknown;
  readonly ref?: unknown;
  readonly commit_time?: unknown;
  readonly adhoc?: unknown;
}

export type ResolvedCommit = { readonly ok: true; readonly identifier: string } | { readonly ok: false; readonly failure: LaunchFailure };

export async function resolveCommit(api: ValohaiApi, project: string, reference: string): Promise<ResolvedCommit> {
  // Ad-hoc commits are qualified already (commits.py: `startswith('~')`).
  if (reference.startsWith('~')) return { ok: true, identifier: reference };
  // The same listing valohai-cli asks for (project.py load_commit_list).
  const listed = await api.request<{ results?: CommitEntry[] }>('GET', '/api/v0/commits/', { query: { project, adhoc: 'false', limit: '9000' } });
  if (!listed.ok) return listed;
  const commits = (Array.isArray(listed.body?.results) ? listed.body.results : [])
    .filter((c): c is CommitEntry & { identifier: string } => typeof c?.identifier === 'string' && c.identifier !== '')
    .filter((c) => !c.adhoc);
  // Newest first, as resolve_commits sorts (commit_time is ISO 8601, so text order is time order).
  commits.sort((a, b) => String(b.commit_time ?? '').localeCompare(String(a.commit_time ?? '')));
  const exact = commits.find((c) => c.identifier === reference);
  if (exact) return { ok: true, identifier: exact.identifier };
  // valohai-cli only ever resolves a sha read from the local checkout. A trigger names a branch
  // instead, and each commit Valohai fetched carries the `ref` it came from (the fetch answer and
  // execution details show `{identifier, ref, commit_time}`), so the branch's newest fetched
  // commit is its head as Valohai knows it. A ref wins over an abbreviated identifier, as in git,
  // so a branch named like hex (`cafe`) is not taken for a short sha.
  const onRef = commits.find((c) => c.ref === reference);
  if (onRef) return { ok: true, identifier: onRef.identifier };
  // resolve_commits' partial match: the newest identifier starting with it.
  const prefixed = commits.find((c) => c.identifier.startsWith(reference));
  if (prefixed) return { ok: true, identifier: prefixed.identifier };
  return {
    ok: false,
    failure: {
      code: 'valohai_commit_unknown',
      // Retryable: a fetch (an action of this trigger, or Valohai's own) can make it known.
      message: `commit "${reference}" is not known to Valohai project ${project} (no commit identifier or fetched ref matches; has the repository been fetched?)`,
      retryable: true,
    },
  };
}
