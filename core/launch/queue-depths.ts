/**
 * How much work is waiting, in the two senses users mean: launch jobs not yet launched, and
 * launched executions the engine has not started (or is running). `/metrics` and the web page's
 * overview read the same function, so they always agree.
 */
import type { Store } from '../store/store.js';

export interface QueueDepths {
  readonly launcher: 'local' | 'valohai';
  /** Launch jobs waiting or being launched (`hooklaunch_launch_queue_depth`). */
  readonly launchQueue: number;
  /** Executions waiting for their engine (`hooklaunch_executions_queued`). */
  readonly executionsQueued: number;
  readonly executionsRunning: number;
}

/**
 * Counts the store's execution rows by status. The local runner records every execution it runs
 * there (on PostgreSQL, this instance's); the Valohai status follower records the executions it
 * follows with the status Valohai reports, so the same count covers remote work once it does.
 * Rows are read whole because the Store has no count query; queued work is bounded by what the
 * runner can take, so this stays small.
 */
export function createQueueDepths(store: Store, launcher: QueueDepths['launcher']): () => Promise<QueueDepths> {
  return async () => {
    const [stats, queued, running] = await Promise.all([store.queueStats(), store.executionsWithStatus('queued'), store.executionsWithStatus('started')]);
    return { launcher, launchQueue: stats.depth, executionsQueued: queued.length, executionsRunning: running.length };
  };
}
