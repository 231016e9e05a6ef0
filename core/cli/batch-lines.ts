/**
 * Batches (issue #17) as `hooklaunch runs` and `hooklaunch batch list` print them: one line each,
 * with what an operator asks of a batch that has not launched yet — its key, how full it is, how
 * old, when it launches at the latest, and why a held one waits.
 */
import type { BatchRecord } from '../store/store.js';
import { describeBatch } from '../triggers/describe-batch.js';
import { formatAge } from '../ui/format-age.js';

/** One batch: id, trigger, key, items, and by state when it closes (open), why it waits (held) or its run (launched). */
export function formatBatchLine(batch: BatchRecord, nowMs: number): string {
  const shown = describeBatch(batch);
  const head = `${shown.id}  ${shown.trigger_id}  key ${JSON.stringify(shown.key)}  ${shown.items}/${shown.max_items} items  age ${formatAge(nowMs - batch.openedAtMs)}`;
  switch (batch.state) {
    case 'open':
      return `${head}  closes by ${shown.closes_by}`;
    case 'held': {
      // A rate limit's note already says when the batch launches.
      const note = shown.note ?? 'waiting to launch';
      return `${head}  held: ${note}${shown.closes_by && note.includes(shown.closes_by) ? '' : ` (tried again at ${shown.closes_by})`}`;
    }
    case 'launched':
      return `${head}  launched ${shown.closed_at} (${shown.close_reason})  run ${shown.run_id}`;
  }
}
