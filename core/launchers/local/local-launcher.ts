import type { Clock } from '../../clock.js';
import { uuidFromName } from '../../ids.js';
import { launched, launchFailed, type Launcher, type LaunchOutcome } from '../../launch/launcher.js';
import type { Store } from '../../store/store.js';
import type { GitRepository } from './git-repository.js';
import type { LocalPipelineRunner } from './local-pipeline-runner.js';
import type { LocalRunner } from './local-runner.js';

export interface LocalLauncherOptions {
  readonly store: Store;
  readonly runner: LocalRunner;
  readonly pipelines: LocalPipelineRunner;
  readonly repository: GitRepository;
  readonly clock: Clock;
}

/**
 * The embedded default launcher. Executions and pipelines get ids derived from the job id, so
 * launching the same job twice (after a crash) finds what the first attempt created. A `commit`
 * is resolved to a sha at launch, so a later fetch cannot change what a queued run executes.
 */
export function createLocalLauncher({ store, runner, pipelines, repository, clock }: LocalLauncherOptions): Launcher {
  const resolveCommit = async (ref: string | undefined): Promise<{ ok: true; sha?: string } | { ok: false; outcome: LaunchOutcome }> => {
    if (ref === undefined) return { ok: true };
    const sha = await repository.resolve(ref);
    return sha.ok ? { ok: true, sha: sha.value } : { ok: false, outcome: launchFailed('commit_not_found', sha.message, false) };
  };

  return {
    async launch(job) {
      const { spec } = job;
      switch (spec.type) {
        case 'run-execution':
        case 'run-pipeline': {
          const commit = await resolveCommit(spec.commit);
          if (!commit.ok) return commit.outcome;
          const common = {
            title: spec.title,
            parameters: spec.parameters,
            payloadInput: spec.payloadInput,
            payloadFilename: spec.payloadFilename,
            commit: commit.sha,
            commitRef: spec.commit,
          };
          const created = { jobId: job.id, runId: job.runId, createdAtMs: clock.now() };
          if (spec.type === 'run-execution') {
            const execution = await store.createExecution({ id: uuidFromName(`execution:${job.id}`), ...created, spec: { step: spec.step, ...common } });
            if (execution.status === 'queued') runner.enqueue(execution.id);
            return launched({ kind: 'execution', executionId: execution.id, step: spec.step });
          }
          const pipeline = await store.createPipeline({ id: uuidFromName(`pipeline:${job.id}`), ...created, spec: { pipeline: spec.pipeline, ...common } });
          pipelines.advance(pipeline.id);
          return launched({ kind: 'pipeline', pipelineId: pipeline.id, pipeline: spec.pipeline });
        }
        case 'fetch-repository': {
          const fetched = await repository.fetch();
          if (!fetched.ok) return launchFailed('fetch_failed', fetched.message, true);
          return launched({ kind: 'fetch', commits: fetched.value, errors: [] });
        }
      }
    },
  };
}
