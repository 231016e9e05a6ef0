/**
 * What `hooklaunch runs` lists: accepted requests (each one run) and launched batches (one run for
 * all their deliveries) of one trigger, in one status, within a time window. Times are given as an age (`90s`, `15m`, `1h`, `2d`: that long ago) or as
 * an ISO 8601 timestamp.
 */
import { InvalidArgumentError } from 'commander';
import type { RunStatus } from '../launch/run-status.js';
import type { TriggerLogLine } from '../trigger-log/read-trigger-log.js';

export const RUN_STATUSES: readonly RunStatus[] = ['pending', 'completed', 'error', 'complete_with_error'];

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since` / `--until`: an age before `nowMs`, or an absolute time; anything else is a usage error. */
export function parseTimeArg(value: string, nowMs: number, flag: string): number {
  const age = /^(\d+)([smhd])$/.exec(value.trim());
  if (age) return nowMs - Number(age[1]) * UNIT_MS[age[2]!]!;
  // Date.parse takes far more than ISO 8601 ("1"): only what looks like a date is given to it.
  const at = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(at)) throw new InvalidArgumentError(`${flag} ${value}: give an age (30s, 15m, 1h, 2d) or a time (2026-11-28T20:00:00Z)`);
  return at;
}

export interface RunFilter {
  readonly status?: RunStatus | undefined;
  readonly sinceMs?: number | undefined;
  readonly untilMs?: number | undefined;
}

export function parseRunStatus(value: string | undefined): RunStatus | undefined {
  if (value === undefined) return undefined;
  if (!(RUN_STATUSES as readonly string[]).includes(value)) throw new InvalidArgumentError(`--status must be one of ${RUN_STATUSES.join(', ')}`);
  return value as RunStatus;
}

export function inWindow(receivedAtMs: number, filter: RunFilter): boolean {
  return (filter.sinceMs === undefined || receivedAtMs >= filter.sinceMs) && (filter.untilMs === undefined || receivedAtMs <= filter.untilMs);
}

/** One run as `runs` lists it; `batchItems` when a batch launched it (issue #17). */
export interface RunListLine extends Pick<TriggerLogLine, 'receivedAtMs' | 'runId' | 'triggerId' | 'launch'> {
  readonly batchItems?: number | undefined;
}

export function matchesRun(line: Pick<RunListLine, 'receivedAtMs' | 'launch'>, filter: RunFilter): boolean {
  return inWindow(line.receivedAtMs, filter) && (filter.status === undefined || line.launch?.status === filter.status);
}

/** One line per run: accepted (a batch's: launched) at, run id, trigger, "batch of N", status (and why it failed). */
export function formatRunLine(line: RunListLine): string {
  const failed = line.launch?.status === 'error' || line.launch?.status === 'complete_with_error';
  const reason = failed && line.launch!.errors.length ? `  ${line.launch!.errors.join('; ')}` : '';
  const batch = line.batchItems === undefined ? '' : `  batch of ${line.batchItems}`;
  return `${new Date(line.receivedAtMs).toISOString()}  ${line.runId}  ${line.triggerId}${batch}  ${line.launch?.status ?? '?'}${reason}`;
}
