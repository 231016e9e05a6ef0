import type { ValohaiProject } from '../../valohai-yaml/load-valohai-yaml.js';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { LoadedConfig } from '../../config/load-config.js';
import type { LocalLauncherConfig } from '../../config/schema.js';
import { lastOutputLines, type ExecutionEnded, type OnExecutionEnded } from '../../launch/execution-ended.js';
import type { LaunchBackend } from '../../launch/launch-backend.js';
import { SECRET_KEY_ENV } from '../../secrets/secret-key.js';
import { isPostgresStoreUrl } from '../../store/open-store.js';
import type { ExecutionRecord, PipelineRecord, Store } from '../../store/store.js';
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
  /** Told of every execution and pipeline that ended, with its status and, on error, its last output. */
  readonly onExecutionEnded?: OnExecutionEnded;
  /** valohai.yaml as last reloaded (default: as loaded at start). */
  readonly currentProject?: (() => ValohaiProject) | undefined;
}

/** The embedded default: executions and pipelines run on this machine, code from the project's git repository. */
export function createLocalBackend({ loaded, launcher, store, clock, logger, workRoot, killGraceMs, shutdownGraceMs, onRunChanged, onExecutionEnded, currentProject = () => loaded.project }: LocalBackendOptions): LocalBackend {
  const { project } = loaded.config;
  const repository = openGitRepository(loaded.projectPath, project.remote);
  const versions = createProjectVersions(currentProject, repository, project.valohai_yaml);
  const advance = { pipeline: (_id: string): void => undefined };
  // Reports being read from the store; idle() waits for them so a settled service has counted them.
  const reporting = new Set<Promise<void>>();
  const report = (describe: () => Promise<ExecutionEnded | undefined>): void => {
    if (!onExecutionEnded) return;
    const done = describe()
      .then((ended) => ended && onExecutionEnded(ended))
      .catch((error: unknown) => logger.error({ err: error }, 'could not report the end of local work'))
      .finally(() => reporting.delete(done));
    reporting.add(done);
  };
  const runner = createLocalRunner({
    store,
    versions,
    repository,
    projectPath: loaded.projectPath,
    workRoot,
    concurrency: launcher.concurrency,
    clock,
    logger,
    // Read by hooklaunch itself, not through ${env:…}: the master key opens every sealed secret, and
    // libpq's PGPASSWORD is the store's password when store.url names none.
    secretEnvNames: new Set([...loaded.envNames, SECRET_KEY_ENV, ...(storeReadsPgPassword(loaded.storeUrl) ? ['PGPASSWORD'] : [])]),
    onFinished: (execution) => {
      report(() => executionEnded(store, execution));
      if (execution.spec.pipelineId !== undefined) advance.pipeline(execution.spec.pipelineId);
      else onRunChanged?.(execution.runId);
    },
    ...(killGraceMs !== undefined && { killGraceMs }),
    shutdownGraceMs: shutdownGraceMs ?? launcher.grace * 1000,
  });
  const pipelines = createLocalPipelineRunner({
    store,
    runner,
    versions,
    clock,
    logger,
    onEnded: (pipeline) => {
      report(() => pipelineEnded(store, pipeline.id));
      onRunChanged?.(pipeline.runId);
    },
  });
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
      while (!(runner.isIdle() && pipelines.isIdle() && reporting.size === 0)) {
        await runner.idle();
        await pipelines.idle();
        await Promise.all(reporting);
      }
    },
    isIdle: () => runner.isIdle() && pipelines.isIdle() && reporting.size === 0,
    async stop() {
      await runner.stop();
      // Executions that ended during the grace may still be advancing their pipelines.
      await pipelines.idle();
    },
    abort: () => runner.killAll(),
    async stopExecution(execution, reason) {
      // A stopped node ends as cancelled; the pipeline runner then skips what depends on it.
      await runner.cancel(execution.id, reason);
      return { ok: true };
    },
  };
}

async function executionEnded(store: Store, execution: ExecutionRecord): Promise<ExecutionEnded | undefined> {
  const run = await store.getRun(execution.runId);
  if (!run || (execution.status !== 'complete' && execution.status !== 'error' && execution.status !== 'cancelled')) return undefined;
  return {
    runId: execution.runId,
    triggerId: run.triggerId,
    kind: 'execution',
    id: execution.id,
    name: execution.spec.node ?? execution.spec.step,
    status: execution.status,
    launcher: 'local',
    pipelineId: execution.spec.pipelineId,
    error: execution.error,
    ...(execution.status === 'error' && { lastOutput: lastOutputLines(await store.executionLog(execution.id)) }),
  };
}

/** A failed pipeline's output is its first failed node's: that is where the reason is. */
async function pipelineEnded(store: Store, pipelineId: string): Promise<ExecutionEnded | undefined> {
  // The record handed to onEnded is from before the pipeline ended; its end is in the store.
  const pipeline: PipelineRecord | undefined = await store.getPipeline(pipelineId);
  const run = pipeline && (await store.getRun(pipeline.runId));
  if (!pipeline || !run || pipeline.status === 'started') return undefined;
  const failedNode = pipeline.status === 'error' ? (await store.executionsOfPipeline(pipelineId)).find((e) => e.status === 'error') : undefined;
  return {
    runId: pipeline.runId,
    triggerId: run.triggerId,
    kind: 'pipeline',
    id: pipeline.id,
    name: pipeline.spec.pipeline,
    status: pipeline.status,
    launcher: 'local',
    error: failedNode ? `${pipeline.error ?? 'error'}; node ${failedNode.spec.node}: ${failedNode.error ?? 'error'}` : pipeline.error,
    ...(failedNode && { lastOutput: lastOutputLines(await store.executionLog(failedNode.id)) }),
  };
}

/** A PostgreSQL store URL without a password: the driver then takes PGPASSWORD from the environment, as libpq does. */
function storeReadsPgPassword(storeUrl: string): boolean {
  if (!isPostgresStoreUrl(storeUrl)) return false;
  try {
    const url = new URL(storeUrl);
    return url.password === '' && !url.searchParams.has('password');
  } catch {
    return true;
  }
}
