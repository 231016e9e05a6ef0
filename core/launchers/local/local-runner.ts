/**
 * Runs executions on this machine as child processes, within a concurrency limit. Each gets its
 * own folder in Valohai's layout; output is captured to the store; `time-limit` is enforced.
 * After a restart, queued executions start and ones that were running are marked interrupted
 * (never started twice).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { ExecutionRecord, LogChunk, Store } from '../../store/store.js';
import { effectiveParameters, interpolateCommands } from '../../valohai-yaml/interpolate-command.js';
import { nodeStep } from '../../valohai-yaml/pipeline-graph.js';
import type { StepDef } from '../../valohai-yaml/schema.js';
import { prepareWorkdir, workdirLayout } from './execution-workdir.js';
import type { GitRepository } from './git-repository.js';
import type { ProjectVersions } from './project-versions.js';

export interface LocalRunnerOptions {
  readonly store: Store;
  readonly versions: ProjectVersions;
  readonly repository: GitRepository;
  readonly projectPath: string;
  readonly workRoot: string;
  readonly concurrency: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Variables the config reads secrets from; executions do not inherit them. */
  readonly secretEnvNames: ReadonlySet<string>;
  /** Grace between SIGTERM and SIGKILL when a time limit or shutdown stops an execution. */
  readonly killGraceMs?: number;
  /** Told of every execution that reached an end (complete, error, cancelled). */
  readonly onFinished?: (execution: ExecutionRecord) => void;
}

export interface LocalRunner {
  /** Recovers executions left by a previous process, then starts queued ones. */
  start(): Promise<void>;
  enqueue(executionId: string): void;
  /** Stops a queued or running execution; it ends as cancelled (queued) or error (running). */
  cancel(executionId: string, reason: string): Promise<void>;
  /** The folder an execution writes its outputs to. */
  outputsDir(executionId: string): string;
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>;
  isIdle(): boolean;
  stop(): Promise<void>;
}

const FLUSH_MS = 250;

export function createLocalRunner(options: LocalRunnerOptions): LocalRunner {
  const { store, clock, logger } = options;
  const killGraceMs = options.killGraceMs ?? 10_000;
  const queue: string[] = [];
  const children = new Map<string, { kill: (reason: string, cancel?: boolean) => void }>();
  let active = 0;
  let stopping = false;
  let idleWaiters: Array<() => void> = [];

  const finished = async (id: string): Promise<void> => {
    const execution = await store.getExecution(id);
    if (execution) options.onFinished?.(execution);
  };

  const pump = (): void => {
    while (!stopping && active < options.concurrency && queue.length > 0) {
      const id = queue.shift()!;
      active++;
      void runOne(id)
        .catch((error: unknown) => logger.error({ err: error, executionId: id }, 'local execution crashed the runner'))
        .finally(() => {
          active--;
          pump();
          // While stopping, queued executions never start (the next start picks them up): the
          // last running one finishing is idle enough, or close() would wait forever.
          if (active === 0 && (queue.length === 0 || stopping)) {
            const waiters = idleWaiters;
            idleWaiters = [];
            for (const wake of waiters) wake();
          }
        });
    }
  };

  const fail = async (execution: ExecutionRecord, message: string, exitCode?: number): Promise<void> => {
    await store.appendExecutionLog(execution.id, [{ stream: 'system', text: `${message}\n`, atMs: clock.now() }]);
    await store.updateExecution(execution.id, { status: 'error', endedAtMs: clock.now(), error: message, ...(exitCode !== undefined && { exitCode }) });
    logger.warn({ executionId: execution.id, runId: execution.runId }, message);
  };

  const stepFor = async (execution: ExecutionRecord): Promise<{ ok: true; step: StepDef } | { ok: false; message: string }> => {
    const { spec } = execution;
    const project = await options.versions.at(spec.commit);
    if (!project.ok) return project;
    const at = spec.commit ? ` at commit ${spec.commit}` : '';
    if (spec.pipeline !== undefined && spec.node !== undefined) {
      const node = project.value.pipelines.get(spec.pipeline)?.nodes.find((n) => n.name === spec.node);
      const step = node && nodeStep(node, project.value.steps);
      return step ? { ok: true, step } : { ok: false, message: `node "${spec.node}" of pipeline "${spec.pipeline}" is not in valohai.yaml${at}` };
    }
    const step = project.value.steps.get(spec.step);
    return step ? { ok: true, step } : { ok: false, message: `step "${spec.step}" is not in valohai.yaml${at}` };
  };

  const runOne = async (id: string): Promise<void> => {
    const execution = await store.getExecution(id);
    if (!execution || execution.status !== 'queued') return;
    const { spec } = execution;
    const layout = workdirLayout(join(options.workRoot, id));
    const system: LogChunk[] = [];
    const note = (text: string): void => void system.push({ stream: 'system', text: `${text}\n`, atMs: clock.now() });

    let cwd = options.projectPath;
    if (spec.commit !== undefined) {
      cwd = join(layout.root, 'repository');
      const checkout = await options.repository.checkout(spec.commit, cwd);
      if (!checkout.ok) return void (await fail(execution, checkout.message), await finished(id));
      note(`commit ${spec.commitRef ?? spec.commit} = ${spec.commit}`);
    }
    const step = await stepFor(execution);
    if (!step.ok) return void (await fail(execution, step.message), await finished(id));
    const parameters = effectiveParameters(step.step, spec.parameters);
    const commands = interpolateCommands(step.step, parameters);
    if (!commands.ok) return void (await fail(execution, commands.message), await finished(id));

    let payload;
    if (spec.payloadInput !== undefined) {
      const stored = await store.getPayload(execution.runId);
      if (!stored) return void (await fail(execution, `payload of run ${execution.runId} is missing from the store`), await finished(id));
      payload = { input: spec.payloadInput, filename: spec.payloadFilename, body: stored.body, uri: `hooklaunch://runs/${execution.runId}/payload` };
    }
    await prepareWorkdir(layout, {
      executionId: id,
      step: step.step,
      title: spec.title,
      parameters,
      payload,
      inputFiles: spec.inputFiles ?? {},
      extra: {
        'hooklaunch.run-id': execution.runId,
        ...(spec.pipelineId !== undefined && { 'valohai.pipeline-id': spec.pipelineId, 'valohai.pipeline-node': spec.node }),
      },
    });
    // Shutting down before the command starts: leave it queued for the next process.
    if (stopping) return;
    await store.updateExecution(id, { status: 'started', startedAtMs: clock.now() });
    note(`image ${step.step.image} is ignored by the local runner; the command runs on this machine`);
    note(`$ ${commands.commands.join(' && ')}`);
    await store.appendExecutionLog(id, system.splice(0));

    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) if (!options.secretEnvNames.has(name)) env[name] = value;
    for (const variable of step.step['environment-variables']) {
      if (variable.default !== undefined && variable.default !== null && env[variable.name] === undefined) env[variable.name] = String(variable.default);
    }
    Object.assign(env, {
      VH_CONFIG_DIR: layout.configDir,
      VH_INPUTS_DIR: layout.inputsDir,
      VH_OUTPUTS_DIR: layout.outputsDir,
      VH_REPOSITORY_DIR: cwd,
      VH_JOB_ID: `exec-${id}`,
      VH_EXECUTION_ID: id,
      ...(spec.pipelineId !== undefined && { VH_PIPELINE_ID: spec.pipelineId }),
      PYTHONUNBUFFERED: '1',
    });

    await new Promise<void>((resolve) => {
      const script = ['set -e', ...commands.commands].join('\n');
      const child = spawn('/bin/sh', ['-c', script], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      const output: LogChunk[] = [];
      const flush = (): Promise<void> => store.appendExecutionLog(id, output.splice(0));
      const flusher = setInterval(() => void flush(), FLUSH_MS);
      child.stdout.setEncoding('utf8').on('data', (text: string) => output.push({ stream: 'stdout', text, atMs: clock.now() }));
      child.stderr.setEncoding('utf8').on('data', (text: string) => output.push({ stream: 'stderr', text, atMs: clock.now() }));
      let killedFor: string | undefined;
      let cancelled = false;
      const killGroup = (signal: NodeJS.Signals): void => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, signal);
        } catch {
          // already gone
        }
      };
      const kill = (reason: string, cancel = false): void => {
        killedFor ??= reason;
        cancelled ||= cancel;
        killGroup('SIGTERM');
        setTimeout(() => killGroup('SIGKILL'), killGraceMs).unref();
      };
      children.set(id, { kill });
      const limit = step.step['time-limit'];
      const limitTimer = limit ? setTimeout(() => kill(`time limit of ${limit} s exceeded`), limit * 1000) : undefined;
      let spawnError: Error | undefined;
      child.on('error', (error) => {
        spawnError = error;
      });
      child.on('close', (code, signal) => {
        clearInterval(flusher);
        clearTimeout(limitTimer);
        children.delete(id);
        void (async () => {
          await flush();
          const problem = spawnError
            ? `could not start the command: ${spawnError.message}`
            : killedFor
              ? `stopped: ${killedFor}`
              : code !== 0
                ? code === null ? `killed by ${signal}` : `command exited with code ${code}`
                : undefined;
          if (cancelled) {
            await store.appendExecutionLog(id, [{ stream: 'system', text: `cancelled: ${killedFor}\n`, atMs: clock.now() }]);
            await store.updateExecution(id, { status: 'cancelled', endedAtMs: clock.now(), error: `cancelled: ${killedFor}` });
          } else if (problem) await fail(execution, problem, code ?? undefined);
          else await store.updateExecution(id, { status: 'complete', endedAtMs: clock.now(), exitCode: 0 });
          // A shutdown kill is not an outcome: the next process reports it as interrupted.
          if (!stopping) await finished(id);
          resolve();
        })();
      });
    });
  };

  return {
    async start() {
      for (const execution of await store.executionsWithStatus('started')) {
        await fail(execution, 'interrupted: hooklaunch stopped while this execution was running; it is not restarted automatically');
        await finished(execution.id);
      }
      for (const execution of await store.executionsWithStatus('queued')) this.enqueue(execution.id);
    },
    enqueue(id) {
      if (queue.includes(id) || children.has(id)) return;
      queue.push(id);
      pump();
    },
    async cancel(id, reason) {
      const index = queue.indexOf(id);
      if (index >= 0) {
        queue.splice(index, 1);
        await store.updateExecution(id, { status: 'cancelled', endedAtMs: clock.now(), error: reason });
        await finished(id);
        return;
      }
      children.get(id)?.kill(reason, true);
    },
    isIdle: () => active === 0 && queue.length === 0,
    outputsDir: (id) => workdirLayout(join(options.workRoot, id)).outputsDir,
    idle() {
      if (active === 0 && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async stop() {
      stopping = true;
      for (const child of children.values()) child.kill('hooklaunch is shutting down');
      if (active > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}
