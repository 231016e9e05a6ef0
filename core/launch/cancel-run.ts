/**
 * Cancelling a run (`hooklaunch runs cancel`, `POST /api/v0/runs/<id>/cancel/`): every unfinished
 * execution of it is stopped by whatever runs it (the local runner in this process, or Valohai
 * through its API), and actions not launched yet are failed for good so they never launch.
 * It lives in the serving process because only it holds the local runner's child processes.
 */
import { isFinished, type ExecutionRecord, type Store } from '../store/store.js';

/** Stops one execution where it runs; `ok` once the stop was asked for (its status follows). */
export type StopExecution = (execution: ExecutionRecord, reason: string) => Promise<{ ok: true } | { ok: false; message: string }>;

export interface CancelledItem {
  /** An execution id, or `action <n>` for an action not launched yet. */
  readonly id: string;
  readonly what: string;
  readonly outcome: 'stopping' | 'cancelled' | 'already_ended' | 'launching' | 'failed';
  readonly message?: string | undefined;
}

export interface CancelRunOutcome {
  readonly runId: string;
  readonly items: readonly CancelledItem[];
}

export async function cancelRun(store: Store, runId: string, stop: StopExecution, by: string): Promise<CancelRunOutcome | undefined> {
  const run = await store.getRun(runId);
  if (!run) return undefined;
  const reason = `cancelled by ${by}`;
  const items: CancelledItem[] = [];
  for (const job of run.jobs) {
    if (job.state === 'pending') {
      // Never launched: failing it for good is the whole cancel (the launch worker skips failed jobs).
      await store.failJob(job.id, { code: 'cancelled', message: reason }, undefined);
      items.push({ id: `action ${job.actionIndex}`, what: job.spec.type, outcome: 'cancelled' });
    } else if (job.state === 'running') {
      // Claimed by the launch worker this instant: what it launches is an execution the next cancel stops.
      items.push({ id: `action ${job.actionIndex}`, what: job.spec.type, outcome: 'launching', message: 'being launched now; cancel again in a moment' });
    }
  }
  for (const execution of run.executions) {
    const what = execution.spec.node !== undefined ? `${execution.spec.pipeline ?? 'pipeline'} / ${execution.spec.node}` : execution.spec.step;
    if (isFinished(execution.status)) {
      items.push({ id: execution.id, what, outcome: 'already_ended', message: execution.status });
      continue;
    }
    const stopped = await stop(execution, reason);
    items.push(stopped.ok ? { id: execution.id, what, outcome: 'stopping' } : { id: execution.id, what, outcome: 'failed', message: stopped.message });
  }
  return { runId, items };
}
