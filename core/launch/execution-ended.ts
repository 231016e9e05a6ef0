/**
 * The one "launched work ended" event of a service. The local backend reports its executions and
 * pipelines here; the Valohai status follower reports remote ones the same way, with the status
 * Valohai gives. One value for both, so metrics and failure notifications cannot drift apart.
 */
import type { LogChunk } from '../store/store.js';

/** `stopped` is Valohai's word for a stopped execution; the local runner says `cancelled`. */
export type EndedStatus = 'complete' | 'error' | 'cancelled' | 'stopped';

export interface ExecutionEnded {
  readonly runId: string;
  readonly triggerId: string;
  readonly kind: 'execution' | 'pipeline';
  readonly id: string;
  /** The step or pipeline name. */
  readonly name: string;
  readonly status: EndedStatus;
  /** Which engine ran it: the `launcher` label of `hooklaunch_executions_total`. */
  readonly launcher: 'local' | 'valohai';
  /** Set for an execution that is a pipeline node: its pipeline's end is what gets notified. */
  readonly pipelineId?: string | undefined;
  readonly error?: string | undefined;
  /** The last lines the work printed, stderr preferred (see lastOutputLines). */
  readonly lastOutput?: readonly string[] | undefined;
  /** Where to see it (Valohai's `urls.display`). */
  readonly url?: string | undefined;
}

export type OnExecutionEnded = (ended: ExecutionEnded) => void;

export const LAST_OUTPUT_LINES = 20;

/**
 * The last `count` lines of an execution's output for a failure report: its stderr when it wrote
 * any (a traceback, the error itself), else everything it printed, hooklaunch's own notes included.
 * Chunks are joined per stream before splitting, so a line written in pieces stays one line.
 */
export function lastOutputLines(chunks: readonly LogChunk[], count = LAST_OUTPUT_LINES): string[] {
  const stderr = chunks.filter((c) => c.stream === 'stderr');
  const chosen = stderr.some((c) => c.text.trim() !== '') ? stderr : chunks;
  const lines = chosen
    .map((c) => c.text)
    .join('')
    .split('\n')
    .map((line) => line.replace(/\r$/, ''));
  while (lines.length > 0 && lines.at(-1)!.trim() === '') lines.pop();
  return lines.slice(-count);
}
