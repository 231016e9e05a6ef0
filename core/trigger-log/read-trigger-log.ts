import { summariseRun, type RunStatus } from '../launch/run-status.js';
import { hasRun, type LogEntry, type LogQuery, type ExecutionStore, type TriggerLog } from '../store/store.js';
import type { RejectionLog } from './rejection-log.js';

/** A trigger-log line with, for accepted requests, what became of the launch. */
export interface TriggerLogLine extends LogEntry {
  readonly launch?: { readonly status: RunStatus; readonly errors: readonly string[] } | undefined;
}

/** `rejections`: this process's rejection log, whose repeat counts are written first (absent in the CLI). */
export async function readTriggerLog(store: TriggerLog & ExecutionStore, rejections: Pick<RejectionLog, 'flush'> | undefined, query: LogQuery): Promise<TriggerLogLine[]> {
  await rejections?.flush();
  const entries = await store.listLog(query);
  return Promise.all(
    entries.map(async (entry) => {
      if (!hasRun(entry.outcome) || entry.runId === undefined) return entry;
      const run = await store.getRun(entry.runId);
      if (!run) return entry;
      const { status, errors } = summariseRun(run);
      return { ...entry, launch: { status, errors } };
    }),
  );
}

/** One human-readable line per request: when, which trigger, what happened and why, and its request id (what `replay` takes). */
export function formatTriggerLogLine(line: TriggerLogLine): string {
  return `${describeOutcome(line)}  [request ${line.requestId}]`;
}

function describeOutcome(line: TriggerLogLine): string {
  const time = new Date(line.receivedAtMs).toISOString();
  const head = `${time}  ${line.triggerId}  ${line.method} from ${line.remoteAddress || '?'}  ${line.sizeBytes} B`;
  switch (line.outcome) {
    case 'accepted': {
      const launch = line.launch ? `  launch ${line.launch.status}${line.launch.errors.length ? `: ${line.launch.errors.join('; ')}` : ''}` : '';
      return `${head}  accepted  run ${line.runId}${launch}`;
    }
    case 'batched': {
      const launch = line.launch ? `  launch ${line.launch.status}${line.launch.errors.length ? `: ${line.launch.errors.join('; ')}` : ''}` : '  waiting for its batch to close';
      return `${head}  batched  ${line.message ?? ''}, run ${line.runId}${launch}`;
    }
    case 'duplicate':
      return `${head}  duplicate of run ${line.runId}  (${line.message ?? ''})`;
    case 'rejected':
      return `${head}  rejected ${line.status} ${line.code}: ${line.message}${repeated(line)}`;
    case 'ignored':
      return `${head}  ignored (answered ${line.status}): ${line.message}${repeated(line)}`;
    case 'handshake':
      return `${head}  handshake (answered ${line.status}): ${line.message}`;
  }
}

/** "  (+41 identical, last at …)": unauthenticated rejections aggregated into this line. */
export function repeated(line: Pick<LogEntry, 'repeats' | 'lastAtMs'>): string {
  if (line.repeats === 0) return '';
  const last = line.lastAtMs === undefined ? '' : `, last at ${new Date(line.lastAtMs).toISOString()}`;
  return `  (+${line.repeats} identical from the same sender aggregated into this line${last})`;
}
