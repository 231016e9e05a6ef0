/**
 * Drains the durable launch queue: claims due jobs with a lease, launches them, and records the
 * result or a failed attempt with backoff. A job left `running` by a process that died is
 * claimed again when its lease runs out; launchers are idempotent per job, so nothing starts twice.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { JobRecord, Store } from '../store/store.js';
import { backoffMs } from './backoff.js';
import type { LaunchFailure, Launcher } from './launcher.js';

export interface LaunchWorkerOptions {
  readonly store: Store;
  readonly launcher: Launcher;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly maxAttempts: number;
  readonly leaseMs?: number;
  readonly batchSize?: number;
  /** Longest sleep between looks at the queue when nothing wakes the worker. */
  readonly pollMs?: number;
  /** Delay before attempt `n + 1` after `n` failed attempts. */
  readonly backoff?: (attempt: number) => number;
  /** Told when a job was launched or failed for good. */
  readonly onRunChanged?: (runId: string) => void;
  /** Told of every attempt's result (metrics, notifications). */
  readonly onAttempt?: (job: JobRecord, result: 'launched' | 'retry' | 'failed', failure?: LaunchFailure) => void;
}

export interface LaunchWorker {
  start(): void;
  /** Something was enqueued: look now instead of at the next poll. */
  notify(): void;
  /** Resolves when no claimed job is in flight (tests, shutdown). */
  idle(): Promise<void>;
  isRunning(): boolean;
  stop(): Promise<void>;
}

export function createLaunchWorker(options: LaunchWorkerOptions): LaunchWorker {
  const { store, launcher, clock, logger, maxAttempts } = options;
  const leaseMs = options.leaseMs ?? 60_000;
  const batchSize = options.batchSize ?? 16;
  const pollMs = options.pollMs ?? 1000;
  const backoff = options.backoff ?? backoffMs;
  let running = false;
  let ticking: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  const launchOne = async (job: JobRecord): Promise<void> => {
    let outcome;
    try {
      outcome = await launcher.launch(job);
    } catch (error) {
      logger.error({ err: error, jobId: job.id }, 'launcher threw; treating as a retryable failure');
      outcome = { ok: false as const, failure: { code: 'internal_error', message: (error as Error).message, retryable: true } };
    }
    if (outcome.ok) {
      await store.completeJob(job.id, outcome.result);
      logger.info({ runId: job.runId, jobId: job.id, result: outcome.result }, 'launched');
      options.onAttempt?.(job, 'launched');
      options.onRunChanged?.(job.runId);
      return;
    }
    const { failure } = outcome;
    const retry = failure.retryable && job.attempts < maxAttempts;
    const retryAtMs = retry ? clock.now() + Math.max(backoff(job.attempts), failure.retryAfterMs ?? 0) : undefined;
    await store.failJob(job.id, { code: failure.code, message: failure.message }, retryAtMs);
    options.onAttempt?.(job, retry ? 'retry' : 'failed', failure);
    if (!retry) options.onRunChanged?.(job.runId);
    logger.warn({ runId: job.runId, jobId: job.id, attempt: job.attempts, failure, retryAtMs }, retry ? 'launch failed; will retry' : 'launch failed for good');
  };

  const tick = async (): Promise<void> => {
    do {
      again = false;
      const jobs = await store.claimJobs(clock.now(), batchSize, leaseMs);
      await Promise.all(jobs.map(launchOne));
      if (jobs.length === batchSize) again = true;
    } while (again && running);
    schedule();
  };

  const schedule = (): void => {
    if (!running) return;
    clearTimeout(timer);
    store.nextJobDueMs().then(
      (due) => {
        if (!running) return;
        const delay = due === undefined ? pollMs : Math.max(0, Math.min(pollMs, due - clock.now()));
        clearTimeout(timer);
        timer = setTimeout(kick, delay);
      },
      (error: unknown) => {
        if (!running) return; // the store closed under a stopping worker
        logger.error({ err: error }, 'launch worker could not read the queue; retrying');
        timer = setTimeout(kick, pollMs);
      },
    );
  };

  const kick = (): void => {
    if (!running) return;
    if (ticking) {
      again = true;
      return;
    }
    ticking = tick()
      .catch((error: unknown) => logger.error({ err: error }, 'launch worker tick failed'))
      .finally(() => {
        ticking = undefined;
        if (again) kick();
      });
  };

  return {
    start() {
      running = true;
      kick();
    },
    notify: kick,
    isRunning: () => running,
    async idle() {
      while (ticking) await ticking;
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      while (ticking) await ticking;
    },
  };
}
