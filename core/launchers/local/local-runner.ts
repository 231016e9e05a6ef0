/**
 * Runs executions on this machine as child processes, within a concurrency limit. Each gets its
 * own folder in Valohai's layout; output is captured to the store line by line; `time-limit` is
 * enforced. On shutdown running executions get a grace period, then are stopped and queued again;
 * after a restart queued executions start, and ones a crash left running run again (unless crashes
 * cut them off MAX_CRASHED_RUNS times).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Readable } from 'node:stream';
import { killLeftovers } from './kill-leftovers.js';
import { createOutputLines } from './output-lines.js';
import type { Clock } from '../../clock.js';
import type { ExecutionRecord, LogChunk, ExecutionStore } from '../../store/store.js';
import { effectiveParameters, interpolateCommands } from '../../valohai-yaml/interpolate-command.js';
import { nodeStep } from '../../valohai-yaml/pipeline-graph.js';
import type { StepDef } from '../../valohai-yaml/schema.js';
import { prepareWorkdir, workdirLayout } from './execution-workdir.js';
import type { GitRepository } from './git-repository.js';
import type { ProjectVersions } from './project-versions.js';
import { BATCH_INDEX_FILE } from '../../store/batch-payload.js';

export interface LocalRunnerOptions {
  readonly store: ExecutionStore;
  readonly versions: ProjectVersions;
  readonly repository: GitRepository;
  readonly projectPath: string;
  readonly workRoot: string;
  readonly concurrency: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Variables the config reads secrets from; executions do not inherit them. */
  readonly secretEnvNames: ReadonlySet<string>;
  /** Grace between SIGTERM and SIGKILL when a time limit or a cancel stops an execution. */
  readonly killGraceMs?: number;
  /** How long a shutdown lets running executions go on before stopping them (`launcher.grace`). */
  readonly shutdownGraceMs?: number;
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
  /**
   * Starts nothing more; queued executions stay queued. Running ones get the shutdown grace to
   * end on their own, then are stopped and queued again, to run afresh on the next start.
   */
  stop(): Promise<void>;
  /** Kills every running execution's process group at once (a second signal: exiting now). */
  killAll(): void;
}

/** Tries at recording an execution's end before giving up (1 + 2 + 4 + 8 s apart: a lock held ~15 s). */
const RECORD_ATTEMPTS = 5;
const FLUSH_MS = 250;
/** A line without its newline yet is stored after this long (progress dots), then continued. */
const PARTIAL_LINE_MS = 2_000;
/** One stored line at most; the rest of a longer line is counted, not stored. */
const MAX_LINE_BYTES = 64 * 1024;
/** SIGTERM to SIGKILL when a shutdown stops an execution: the grace already went by. */
const SHUTDOWN_KILL_MS = 2_000;
/**
 * An execution a crash of hooklaunch cut off runs again, unless crashes cut it off this many times:
 * one that takes the host (or hooklaunch) down each time it runs would otherwise do so forever.
 */
const MAX_CRASHED_RUNS = 3;
const CRASH_NOTE = 'interrupted: hooklaunch stopped without shutting down while this execution was running';
const SHUTDOWN_NOTE = 'interrupted by shutdown; it runs again from the start on the next start';

export function createLocalRunner(options: LocalRunnerOptions): LocalRunner {
  const { store, clock, logger } = options;
  const killGraceMs = options.killGraceMs ?? 10_000;
  const shutdownGraceMs = options.shutdownGraceMs ?? 10_000;
  const queue: string[] = [];
  const children = new Map<string, { kill: (reason: string, cancel?: boolean) => void; interrupt: () => void; killNow: () => void }>();
  let active = 0;
  /** Taken from the queue, its folder being prepared, no process yet: a cancel is noted and honoured before it spawns. */
  const preparing = new Map<string, string | undefined>();
  let stopping = false;
  /** The shutdown grace is over: whatever still runs (or is about to) is stopped. */
  let graceOver = false;
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
        .catch(async (error: unknown) => {
          logger.error({ err: error, executionId: id }, 'local execution crashed the runner');
          // Whatever failed, the execution ends as an error with the reason, not left until a restart.
          const execution = await store.getExecution(id);
          if (execution && (execution.status === 'queued' || execution.status === 'started')) {
            await fail(execution, `could not run the command: ${(error as Error).message}`);
            await finished(id);
          }
        })
        .catch((error: unknown) => logger.error({ err: error, executionId: id }, 'could not record the failure of a local execution'))
        .finally(() => {
          active--;
          pump();
          // While stopping, queued executions stay queued (in the store) for the next start.
          if (active === 0 && (stopping || queue.length === 0)) {
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
    preparing.set(id, undefined);
    try {
      await runPrepared(id);
    } finally {
      preparing.delete(id);
    }
  };

  const runPrepared = async (id: string): Promise<void> => {
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
      const uri = `hooklaunch://runs/${execution.runId}/payload`;
      const files = [{ filename: spec.payloadFilename, body: stored.body, uri }];
      if (stored.index) files.push({ filename: BATCH_INDEX_FILE, body: stored.index, uri: `${uri}/${BATCH_INDEX_FILE}` });
      payload = { input: spec.payloadInput, files };
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
    const cancelledFor = preparing.get(id);
    if (cancelledFor !== undefined) {
      await store.updateExecution(id, { status: 'cancelled', endedAtMs: clock.now(), error: cancelledFor });
      return void (await finished(id));
    }
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

    const script = ['set -e', ...commands.commands].join('\n');
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawn('/bin/sh', ['-c', script], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      // Node throws at once for what it cannot pass (a NUL byte, E2BIG): the execution ends here.
      return void (await fail(execution, `could not start the command: ${(error as Error).message}`), await finished(id));
    }
    await new Promise<void>((resolve) => {
      const output = createOutputLines(MAX_LINE_BYTES);
      // One write at a time, so chunks reach the store (and get their seq) in the order they were taken.
      let writing = Promise.resolve();
      const flush = (partialBeforeMs?: number): Promise<void> => {
        const chunks = output.take(partialBeforeMs);
        if (chunks.length === 0) return writing;
        writing = writing.then(() => store.appendExecutionLog(id, chunks)).catch((error: unknown) => logger.error({ err: error, executionId: id }, 'could not store execution output'));
        return writing;
      };
      const flusher = setInterval(() => void flush(clock.now() - PARTIAL_LINE_MS), FLUSH_MS);
      child.stdout.setEncoding('utf8').on('data', (text: string) => output.write('stdout', text, clock.now()));
      child.stderr.setEncoding('utf8').on('data', (text: string) => output.write('stderr', text, clock.now()));
      let killedFor: string | undefined;
      let cancelled = false;
      let interrupted = false;
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
      const interrupt = (): void => {
        if (killedFor !== undefined) return;
        interrupted = true;
        killedFor = 'hooklaunch is shutting down';
        killGroup('SIGTERM');
        setTimeout(() => killGroup('SIGKILL'), Math.min(killGraceMs, SHUTDOWN_KILL_MS)).unref();
      };
      children.set(id, { kill, interrupt, killNow: () => killGroup('SIGKILL') });
      if (graceOver) interrupt();
      const limit = step.step['time-limit'];
      const limitTimer = limit ? setTimeout(() => kill(`time limit of ${limit} s exceeded`), limit * 1000) : undefined;
      let spawnError: Error | undefined;
      let settled = false;
      const settle = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (settled) return;
        settled = true;
        clearInterval(flusher);
        clearTimeout(limitTimer);
        children.delete(id);
        const record = async (): Promise<void> => {
          await flush(undefined);
          const problem = spawnError
            ? `could not start the command: ${spawnError.message}`
            : killedFor
              ? `stopped: ${killedFor}`
              : code !== 0
                ? code === null ? `killed by ${signal}` : `command exited with code ${code}`
                : undefined;
          if (interrupted) {
            // Not an outcome: queued again (its log kept) to run afresh on the next start.
            await store.appendExecutionLog(id, [{ stream: 'system', text: `${SHUTDOWN_NOTE}\n`, atMs: clock.now() }]);
            await store.updateExecution(id, { status: 'queued' });
            logger.info({ executionId: id, runId: execution.runId }, 'execution stopped by the shutdown; queued again');
            return resolve();
          }
          if (cancelled) {
            await store.appendExecutionLog(id, [{ stream: 'system', text: `cancelled: ${killedFor}\n`, atMs: clock.now() }]);
            await store.updateExecution(id, { status: 'cancelled', endedAtMs: clock.now(), error: `cancelled: ${killedFor}` });
          } else if (problem) await fail(execution, problem, code ?? undefined);
          else await store.updateExecution(id, { status: 'complete', endedAtMs: clock.now(), exitCode: 0 });
          await finished(id);
          resolve();
        };
        // The store may be briefly unwritable (a lock held elsewhere): try again, and never let
        // the failure escape as an unhandled rejection that would end the process.
        void (async () => {
          for (let attempt = 1; ; attempt++) {
            try {
              return await record();
            } catch (error) {
              if (attempt >= RECORD_ATTEMPTS) {
                logger.error({ err: error, executionId: id }, 'could not record how the execution ended; it is re-run on the next start');
                return resolve();
              }
              logger.warn({ err: error, executionId: id, attempt }, 'could not record how the execution ended; trying again');
              await new Promise((wait) => setTimeout(wait, 1000 * 2 ** (attempt - 1)));
            }
          }
        })();
      };
      child.on('error', (error) => {
        spawnError = error;
        // A process that never started (no pid) is not waited for on 'close': settle on the error.
        if (child.pid === undefined) settle(null, null);
      });
      child.on('close', (code, signal) => settle(code, signal));
    });
  };

  return {
    async start() {
      // A clean shutdown queued its executions again; these were running when hooklaunch died.
      for (const execution of await store.executionsWithStatus('started')) {
        if (execution.spec.remote) continue; // followed, not run, here
        // The process group of a detached execution outlives hooklaunch: end it before running it again.
        const killed = await killLeftovers(execution.id);
        // The log is the durable count of earlier crashed runs (one note each).
        const crashes = (await store.executionLog(execution.id)).filter((c) => c.stream === 'system' && c.text.startsWith(CRASH_NOTE)).length + 1;
        const leftovers = killed > 0 ? `; ${killed} process(es) it left behind were killed` : '';
        if (crashes >= MAX_CRASHED_RUNS) {
          await fail(execution, `${CRASH_NOTE}, ${crashes} times; not run again${leftovers}`);
          await finished(execution.id);
          continue;
        }
        await store.appendExecutionLog(execution.id, [{ stream: 'system', text: `${CRASH_NOTE} (${crashes} of at most ${MAX_CRASHED_RUNS} times); re-run${leftovers}\n`, atMs: clock.now() }]);
        await store.updateExecution(execution.id, { status: 'queued' });
        logger.warn({ executionId: execution.id, runId: execution.runId, crashes }, 'execution left running by a crash; re-run');
      }
      for (const execution of await store.executionsWithStatus('queued')) if (!execution.spec.remote) this.enqueue(execution.id);
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
      const child = children.get(id);
      if (child) return child.kill(reason, true);
      if (preparing.has(id)) return void preparing.set(id, reason);
      // Not in this runner at all (queued while launches were paused, or left by a stopped process): end it in the store.
      const execution = await store.getExecution(id);
      if (execution?.status === 'queued' && !execution.spec.remote) {
        await store.updateExecution(id, { status: 'cancelled', endedAtMs: clock.now(), error: reason });
        await finished(id);
      }
    },
    isIdle: () => active === 0 && queue.length === 0,
    outputsDir: (id) => workdirLayout(join(options.workRoot, id)).outputsDir,
    idle() {
      if (active === 0 && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async stop() {
      stopping = true;
      if (active === 0) return;
      const ended = new Promise<void>((resolve) => idleWaiters.push(resolve));
      const graceTimer = setTimeout(() => {
        graceOver = true;
        for (const child of children.values()) child.interrupt();
      }, shutdownGraceMs);
      await ended;
      clearTimeout(graceTimer);
    },
    killAll() {
      stopping = true;
      graceOver = true;
      for (const child of children.values()) child.killNow();
    },
  };
}
