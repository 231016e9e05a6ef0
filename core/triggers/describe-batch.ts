/** A batch as the admin API, run info and `hooklaunch runs` show it (snake_case, ISO times). */
import type { BatchRecord } from '../store/store.js';

export interface DescribedBatch {
  readonly id: string;
  readonly trigger_id: string;
  readonly key: string;
  readonly state: BatchRecord['state'];
  readonly items: number;
  readonly max_items: number;
  /** Payload bytes held, and the most it may hold. */
  readonly bytes: number;
  readonly max_bytes: number;
  readonly run_id: string;
  readonly opened_at: string;
  readonly last_at: string;
  /** When an open batch closes at the latest, or when a held one is tried again. */
  readonly closes_by: string | null;
  readonly closed_at: string | null;
  readonly close_reason: BatchRecord['closeReason'] | null;
  readonly note: string | null;
}

export function describeBatch(batch: BatchRecord): DescribedBatch {
  const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    id: batch.batchId,
    trigger_id: batch.triggerId,
    key: batch.key,
    state: batch.state,
    items: batch.items,
    max_items: batch.maxItems,
    bytes: batch.bytes,
    max_bytes: batch.maxBytes,
    run_id: batch.runId,
    opened_at: iso(batch.openedAtMs)!,
    last_at: iso(batch.lastAtMs)!,
    closes_by: batch.state === 'launched' ? null : iso(batch.items >= batch.maxItems && batch.state === 'open' ? batch.lastAtMs : batch.closesAtMs),
    closed_at: iso(batch.closedAtMs),
    close_reason: batch.closeReason ?? null,
    note: batch.note ?? null,
  };
}
