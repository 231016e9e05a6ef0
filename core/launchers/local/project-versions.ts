import { loadValohaiYaml, type ValohaiProject } from '../../valohai-yaml/load-valohai-yaml.js';
import type { GitRepository, GitResult } from './git-repository.js';

/**
 * valohai.yaml as it is in the project folder, or as it was at a commit (read with `git show`,
 * parsed once per commit): a run at a commit uses that commit's steps and pipelines.
 */
export interface ProjectVersions {
  at(sha: string | undefined): Promise<GitResult<ValohaiProject>>;
}

/** `current`: the working copy's valohai.yaml as last (re)loaded (`hooklaunch reload` re-reads it). */
export function createProjectVersions(current: () => ValohaiProject, repository: GitRepository, valohaiYaml: string): ProjectVersions {
  const parsed = new Map<string, Promise<GitResult<ValohaiProject>>>();
  return {
    at(sha) {
      if (sha === undefined) return Promise.resolve({ ok: true, value: current() });
      let project = parsed.get(sha);
      if (!project) {
        project = repository.show(sha, valohaiYaml).then((text): GitResult<ValohaiProject> => {
          if (!text.ok) return text;
          try {
            return { ok: true, value: loadValohaiYaml(`${valohaiYaml}@${sha.slice(0, 12)}`, text.value) };
          } catch (error) {
            return { ok: false, message: `valohai.yaml at commit ${sha} is invalid: ${(error as Error).message}` };
          }
        });
        parsed.set(sha, project);
        if (parsed.size > 64) parsed.delete(parsed.keys().next().value!);
      }
      return project;
    },
  };
}
