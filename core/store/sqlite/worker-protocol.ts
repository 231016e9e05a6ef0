/** The messages between the SQLite store and its worker thread (sqlite-worker.ts). */
/** The id of the worker's own message asking for a RESTART checkpoint with commits held back. */
export const RESTART_WANTED = -1;

/** What runs there: checkpoints and the reads whose cost grows with the table. */
export type WorkerMethod = 'startCheckpoints' | 'checkpoint' | 'listLog' | 'triggerStats' | 'unauthenticatedLogBytes' | 'queueStats' | 'nextJobDueMs' | 'close';

export interface WorkerCall {
  readonly id: number;
  readonly method: WorkerMethod;
  readonly args: readonly unknown[];
}

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly stack?: string | undefined };
