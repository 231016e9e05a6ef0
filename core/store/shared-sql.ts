/**
 * SQL both stores run word for word (the statements around them differ by dialect): written once,
 * so a rule about which runs are still pending or which job may launch next changes in one place.
 */

/** Runs with work not finished: a job to launch, an execution queued or running, a pipeline under way. Never purged. */
export const PENDING_RUNS = `(SELECT run_id FROM jobs WHERE state IN ('pending', 'running')
  UNION SELECT run_id FROM executions WHERE status IN ('queued', 'started')
  UNION SELECT run_id FROM pipelines WHERE status = 'started')`;

/** A run's actions launch in order: job `j` waits while an earlier action of its run is unsettled. */
export const EARLIER_ACTIONS_SETTLED = `NOT EXISTS (SELECT 1 FROM jobs p WHERE p.run_id = j.run_id AND p.action_index < j.action_index AND p.state IN ('pending', 'running'))`;
