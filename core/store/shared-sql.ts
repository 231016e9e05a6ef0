/**
 * SQL both stores run word for word (the statements around them differ by dialect): written once,
 * so a rule about which runs are still pending or which job may launch next changes in one place.
 */

/** Runs with work not finished: a job to launch, an execution queued or running, a pipeline under way, a batch not launched yet. Never purged. */
export const PENDING_RUNS = `(SELECT run_id FROM jobs WHERE state IN ('pending', 'running')
  UNION SELECT run_id FROM executions WHERE status IN ('queued', 'started')
  UNION SELECT run_id FROM pipelines WHERE status = 'started'
  UNION SELECT run_id FROM batches WHERE state <> 'launched')`;

/** A run's actions launch in order: job `j` waits while an earlier action of its run is unsettled. */
export const EARLIER_ACTIONS_SETTLED = `NOT EXISTS (SELECT 1 FROM jobs p WHERE p.run_id = j.run_id AND p.action_index < j.action_index AND p.state IN ('pending', 'running'))`;

/** The columns of a batch row, in the order both stores write them. */
export const BATCH_COLUMNS = 'batch_id, trigger_id, batch_key, run_id, state, items, max_items, bytes, max_bytes, window_ms, quiet_ms, opened_at, last_at, closes_at, closed_at, close_reason, note, actions, first_request_id';

