import type { RunRecord } from '../store/store.js';

export type RunStatus = 'pending' | 'completed' | 'error' | 'complete_with_error';

export type RunResultItem =
  | { action: 'run_execution'; execution_step: string; execution_id: string; execution_status?: string; execution_counter?: number; execution_url?: string }
  | { action: 'run_pipeline'; pipeline: string; pipeline_id: string; pipeline_status?: string; pipeline_counter?: number; pipeline_url?: string; pipeline_definition?: string }
  | { action: 'fetch_repository'; commits: ReadonlyArray<{ ref: string; identifier: string }>; errors: readonly string[] };

export interface RunSummary {
  readonly status: RunStatus;
  readonly result: RunResultItem[];
  /** Why actions failed: for the trigger log and operators, never sent to webhook senders. */
  readonly errors: string[];
}

/**
 * A run's status as Valohai's run-info endpoint reports it, following the launched work to its
 * end: pending while any action is unlaunched or its execution unfinished; then completed, error
 * (every action failed) or complete_with_error (some did).
 */
export function summariseRun(run: RunRecord): RunSummary {
  let pending = 0;
  let failed = 0;
  const result: RunResultItem[] = [];
  const errors: string[] = [];
  const executions = new Map(run.executions.map((e) => [e.id, e]));
  const pipelines = new Map(run.pipelines.map((p) => [p.id, p]));
  for (const job of run.jobs) {
    if (job.state === 'pending' || job.state === 'running') {
      pending++;
      if (job.lastError) errors.push(`action ${job.actionIndex}: attempt ${job.attempts} failed (${job.lastError.code}): ${job.lastError.message}`);
      continue;
    }
    if (job.state === 'failed') {
      failed++;
      errors.push(`action ${job.actionIndex}: launch failed (${job.lastError?.code ?? 'unknown'}): ${job.lastError?.message ?? ''}`);
      continue;
    }
    const launched = job.result;
    if (!launched) continue;
    if (launched.kind === 'execution') {
      const execution = executions.get(launched.executionId);
      const item = {
        action: 'run_execution' as const,
        execution_step: launched.step,
        execution_id: launched.executionId,
        ...(launched.counter !== undefined && { execution_counter: launched.counter }),
        ...(launched.url !== undefined && { execution_url: launched.url }),
      };
      // Local executions, and remote ones the status follower records as the engine reports them.
      if (!execution) {
        result.push(item);
        continue;
      }
      result.push({ ...item, execution_status: execution.status });
      if (execution.status === 'queued' || execution.status === 'started') pending++;
      else if (execution.status === 'error' || execution.status === 'cancelled' || execution.status === 'stopped') {
        failed++;
        errors.push(`action ${job.actionIndex}: execution ${launched.executionId} failed: ${execution.error ?? 'error'}`);
      }
    } else if (launched.kind === 'pipeline') {
      const pipeline = pipelines.get(launched.pipelineId);
      const item = {
        action: 'run_pipeline' as const,
        pipeline: launched.pipeline,
        pipeline_id: launched.pipelineId,
        ...(launched.counter !== undefined && { pipeline_counter: launched.counter }),
        ...(launched.url !== undefined && { pipeline_url: launched.url }),
        ...(launched.definition !== undefined && { pipeline_definition: launched.definition }),
      };
      if (!pipeline) {
        result.push(item);
        continue;
      }
      result.push({ ...item, pipeline_status: pipeline.status });
      if (pipeline.status === 'started') pending++;
      else if (pipeline.status === 'error' || pipeline.status === 'stopped') {
        failed++;
        errors.push(`action ${job.actionIndex}: pipeline ${launched.pipelineId} failed: ${pipeline.error ?? 'error'}`);
      }
    } else {
      result.push({ action: 'fetch_repository', commits: launched.commits, errors: launched.errors });
    }
  }
  const status: RunStatus = pending > 0 ? 'pending' : failed === 0 ? 'completed' : failed === run.jobs.length ? 'error' : 'complete_with_error';
  return { status, result, errors };
}
