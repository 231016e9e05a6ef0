/**
 * Notes about a run that are no execution's output — a follow-up that could not be sent — for run
 * info to show. They are `system` lines of the store's execution log filed under the run's own id:
 * run ids and execution ids are UUIDs of different origin and never collide, and reusing the log
 * needs no new table. Purging a run removes its notes with its executions' logs.
 */
import type { ExecutionStore } from '../store/store.js';

export async function addRunNote(store: ExecutionStore, runId: string, note: string, atMs: number): Promise<void> {
  await store.appendExecutionLog(runId, [{ stream: 'system', text: `${note}\n`, atMs }]);
}

export async function runNotes(store: ExecutionStore, runId: string): Promise<string[]> {
  return (await store.executionLog(runId)).filter((c) => c.stream === 'system').map((c) => c.text.replace(/\n$/, ''));
}
