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


/** Batches a closer should try now: open ones past their close time or full, held ones due another try. `now`: the dialect's parameter. */
export const dueBatchesWhere = (now: string): string => `(state = 'open' AND (closes_at <= ${now} OR items >= max_items)) OR (state = 'held' AND closes_at <= ${now})`;

/** When the next batch is due: a full open one at once (0), else the earliest close or retry time. */
export const NEXT_BATCH_DUE = `SELECT MIN(CASE WHEN state = 'open' AND items >= max_items THEN 0 ELSE closes_at END) AS due FROM batches WHERE state <> 'launched'`;

/**
 * The batch a new delivery of its key joins, when it takes more: open, not sealed by max_bytes,
 * not full (`alias`: the table's alias with its dot, or ''). A sealed or full batch stays open
 * until the closer launches it, and the next batch of its key may open in the same millisecond,
 * so the newest open one by opened_at alone could be either: a delivery then opened a third batch
 * beside one that took more (found by the #17 property test, joins decided together vs one by one).
 */
export const takesMore = (alias: string): string => `${alias}state = 'open' AND ${alias}close_reason IS NULL AND ${alias}items < ${alias}max_items`;
