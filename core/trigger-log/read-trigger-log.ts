import { summariseRun, type RunStatus } from '../launch/run-status.js';
import type { LogEntry, LogQuery, Store } from '../store/store.js';

/** A trigger-log line with, for accepted requests, what became of the launch. */
export interface TriggerLogLine extends LogEntry {
  readonly launch?: { readonly status: RunStatus; readonly errors: readonly string[] } | undefined;
}

export async function readTriggerLog(store: Store, query: LogQuery): Promise<TriggerLogLine[]> {
  const entries = await store.listLog(query);
  return Promise.all(
    entries.map(async (entry) => {
      if (entry.outcome !== 'accepted' || entry.runId === undefined) return entry;
      const run = await store.getRun(entry.runId);
      if (!run) return entry;
      const { status, errors } = summariseRun(run);
      return { ...entry, launch: { status, errors } };
    }),
  );
}

/** One human-readable line per request: when, which trigger, what happened and why. */
export function formatTriggerLogLine(line: TriggerLogLine): string {
  const time = new Date(line.receivedAtMs).toISOString();
  const head = `${time}  ${line.triggerId}  ${line.method} from ${line.remoteAddress || '?'}  ${line.sizeBytes} B`;
  switch (line.outcome) {
    case 'accepted': {
      const launch = line.launch ? `  launch ${line.launch.status}${line.launch.errors.length ? `: ${line.launch.errors.join('; ')}` : ''}` : '';
      return `${head}  accepted  run ${line.runId}${launch}`;
    }
    case 'duplicate':
      return `${head}  duplicate of run ${line.runId}  (${line.message ?? ''})`;
    case 'rejected':
      return `${head}  rejected ${line.status} ${line.code}: ${line.message}`;
    case 'ignored':
      return `${head}  ignored (answered ${line.status}): ${line.message}`;
    case 'handshake':
      return `${head}  handshake (answered ${line.status}): ${line.message}`;
  }
}
