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
import { loadValohaiYaml, type ValohaiProject } from '../../valohai-yaml/load-valohai-yaml.js';
import type { StepDef } from '../../valohai-yaml/schema.js';
import { checkoutCommit } from './checkout-commit.js';
import { prepareWorkdir, workdirLayout } from './execution-workdir.js';

export interface LocalRunnerOptions {
  readonly store: Store;
  readonly project: ValohaiProject;
  readonly projectPath: string;
  /** valohai.yaml's path inside the project, to read it at another commit. */
  readonly valohaiYaml: string;
  readonly workRoot: string;
  readonly concurrency: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Variables the config reads secrets from; executions do not inherit them. */
  readonly secretEnvNames: ReadonlySet<string>;
  /** Grace between SIGTERM and SIGKILL when a time limit or shutdown stops an execution. */
  readonly killGraceMs?: number;
}

export interface LocalRunner {
  /** Recovers executions left by a previous process, then starts queued ones. */
  start(): Promise<void>;
  enqueue(executionId: string): void;
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const FLUSH_MS = 250;

export function createLocalRunner(options: LocalRunnerOptions): LocalRunner {
  const { store, clock, logger } = options;
  const killGraceMs = options.killGraceMs ?? 10_000;
  const queue: string[] = [];
  const queued = new Set<string>();
  const children = new Map<string, { kill: (reason: string) => void }>();
  let active = 0;
  let stopping = false;
  let idleWaiters: Array<() => void> = [];

  const pump = (): void => {
    while (!stopping && active < options.concurrency && queue.length > 0) {
      const id = queue.shift()!;
      queued.delete(id);
      active++;
      void runOne(id)
        .catch((error: unknown) => logger.error({ err: error, executionId: id }, 'local execution crashed the runner'))
        .finally(() => {
          active--;
          pump();
          if (active === 0 && queue.length === 0) {
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

  const runOne = async (id: string): Promise<void> => {
    const execution = await store.getExecution(id);
    if (!execution || execution.status !== 'queued') return;
    const { spec } = execution;
    const layout = workdirLayout(join(options.workRoot, id));
    const system: LogChunk[] = [];
    const note = (text: string): void => void system.push({ stream: 'system', text: `${text}\n`, atMs: clock.now() });

    let cwd = options.projectPath;
    let project = options.project;
    if (spec.commit !== undefined) {
      const repositoryDir = join(layout.root, 'repository');
      const checkout = await checkoutCommit(options.projectPath, spec.commit, repositoryDir);
      if (!checkout.ok) return fail(execution, checkout.message);
      note(`commit ${spec.commit} = ${checkout.sha}`);
      cwd = repositoryDir;
      try {
        project = loadValohaiYaml(join(repositoryDir, options.valohaiYaml));
      } catch (error) {
        return fail(execution, `valohai.yaml at commit ${checkout.sha} is invalid: ${(error as Error).message}`);
      }
    }
    const step: StepDef | undefined = project.steps.get(spec.step);
    if (!step) return fail(execution, `step "${spec.step}" is not in valohai.yaml${spec.commit ? ` at commit ${spec.commit}` : ''}`);
    const parameters = effectiveParameters(step, spec.parameters);
    const commands = interpolateCommands(step, parameters);
    if (!commands.ok) return fail(execution, commands.message);

    let payload;
    if (spec.payloadInput !== undefined) {
      const stored = await store.getPayload(execution.runId);
      if (!stored) return fail(execution, `payload of run ${execution.runId} is missing from the store`);
      payload = { input: spec.payloadInput, filename: spec.payloadFilename, body: stored.body, uri: `hooklaunch://runs/${execution.runId}/payload` };
    }
    await prepareWorkdir(layout, { executionId: id, step, title: spec.title, parameters, payload, extra: { 'hooklaunch.run-id': execution.runId } });
    // Shutting down before the command starts: leave it queued for the next process.
    if (stopping) return;
    await store.updateExecution(id, { status: 'started', startedAtMs: clock.now() });
    note(`image ${step.image} is ignored by the local runner; the command runs on this machine`);
    note(`$ ${commands.commands.join(' && ')}`);
    await store.appendExecutionLog(id, system.splice(0));

    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) if (!options.secretEnvNames.has(name)) env[name] = value;
    for (const variable of step['environment-variables']) {
      if (variable.default !== undefined && variable.default !== null && env[variable.name] === undefined) env[variable.name] = String(variable.default);
    }
    Object.assign(env, {
      VH_CONFIG_DIR: layout.configDir,
      VH_INPUTS_DIR: layout.inputsDir,
      VH_OUTPUTS_DIR: layout.outputsDir,
      VH_REPOSITORY_DIR: cwd,
      VH_JOB_ID: `exec-${id}`,
      VH_EXECUTION_ID: id,
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
      const killGroup = (signal: NodeJS.Signals): void => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, signal);
        } catch {
          // already gone
        }
      };
      const kill = (reason: string): void => {
        killedFor ??= reason;
        killGroup('SIGTERM');
        setTimeout(() => killGroup('SIGKILL'), killGraceMs).unref();
      };
      children.set(id, { kill });
      const limit = step['time-limit'];
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
          if (problem) await fail(execution, problem, code ?? undefined);
          else await store.updateExecution(id, { status: 'complete', endedAtMs: clock.now(), exitCode: 0 });
          resolve();
        })();
      });
    });
  };

  return {
    async start() {
      for (const execution of await store.executionsWithStatus('started')) {
        await fail(execution, 'interrupted: hooklaunch stopped while this execution was running; it is not restarted automatically');
      }
      for (const execution of await store.executionsWithStatus('queued')) this.enqueue(execution.id);
    },
    enqueue(id) {
      if (queued.has(id)) return;
      queued.add(id);
      queue.push(id);
      pump();
    },
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
