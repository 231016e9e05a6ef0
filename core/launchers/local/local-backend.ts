import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { LoadedConfig } from '../../config/load-config.js';
import type { LocalLauncherConfig } from '../../config/schema.js';
import type { LaunchBackend } from '../../launch/launch-backend.js';
import type { Store } from '../../store/store.js';
import { openGitRepository } from './git-repository.js';
import { createLocalLauncher } from './local-launcher.js';
import { createLocalPipelineRunner, type LocalPipelineRunner } from './local-pipeline-runner.js';
import { createLocalRunner, type LocalRunner } from './local-runner.js';
import { createProjectVersions } from './project-versions.js';

export interface LocalBackend extends LaunchBackend {
  readonly runner: LocalRunner;
  readonly pipelines: LocalPipelineRunner;
}

export interface LocalBackendOptions {
  readonly loaded: LoadedConfig;
  readonly launcher: LocalLauncherConfig;
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly workRoot: string;
  readonly killGraceMs?: number | undefined;
  /** Overrides `launcher.grace` (tests). */
  readonly shutdownGraceMs?: number | undefined;
  /** Told when an execution or a pipeline of a run ended. */
  readonly onRunChanged?: (runId: string) => void;
}

/** The embedded default: executions and pipelines run on this machine, code from the project's git repository. */
export function createLocalBackend({ loaded, launcher, store, clock, logger, workRoot, killGraceMs, shutdownGraceMs, onRunChanged }: LocalBackendOptions): LocalBackend {
  const { project } = loaded.config;
  const repository = openGitRepository(loaded.projectPath, project.remote);
  const versions = createProjectVersions(loaded.project, repository, project.valohai_yaml);
  const advance = { pipeline: (_id: string): void => undefined };
  const runner = createLocalRunner({
    store,
    versions,
    repository,
    projectPath: loaded.projectPath,
    workRoot,
    concurrency: launcher.concurrency,
    clock,
    logger,
    secretEnvNames: loaded.envNames,
    onFinished: (execution) => {
      if (execution.spec.pipelineId !== undefined) advance.pipeline(execution.spec.pipelineId);
      else onRunChanged?.(execution.runId);
    },
    ...(killGraceMs !== undefined && { killGraceMs }),
    shutdownGraceMs: shutdownGraceMs ?? launcher.grace * 1000,
  });
  const pipelines = createLocalPipelineRunner({ store, runner, versions, clock, logger, ...(onRunChanged && { onEnded: (pipeline) => onRunChanged(pipeline.runId) }) });
  advance.pipeline = (id) => pipelines.advance(id);

  return {
    launcher: createLocalLauncher({ store, runner, pipelines, repository, clock }),
    runner,
    pipelines,
    async start() {
      await runner.start();
      await pipelines.start();
    },
    async idle() {
      while (!(runner.isIdle() && pipelines.isIdle())) {
        await runner.idle();
        await pipelines.idle();
      }
    },
    isIdle: () => runner.isIdle() && pipelines.isIdle(),
    async stop() {
      await runner.stop();
      // Executions that ended during the grace may still be advancing their pipelines.
      await pipelines.idle();
    },
    abort: () => runner.killAll(),
  };
}
