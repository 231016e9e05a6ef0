import type { JobRecord, LaunchResult } from '../store/store.js';

/** Why a launch attempt failed; `retryable` says whether trying again later can help. */
export interface LaunchFailure {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
  /** The engine asked to wait this long (e.g. a 429's Retry-After) before trying again. */
  readonly retryAfterMs?: number | undefined;
}

export type LaunchOutcome = { readonly ok: true; readonly result: LaunchResult } | { readonly ok: false; readonly failure: LaunchFailure };

/**
 * Turns one job into real work (a local execution, a Valohai API call, a git fetch). Must be
 * idempotent per job id: after a crash the same job may be launched again, and must not start
 * a second copy of the work.
 */
export interface Launcher {
  launch(job: JobRecord): Promise<LaunchOutcome>;
}

export function launched(result: LaunchResult): LaunchOutcome {
  return { ok: true, result };
}

export function launchFailed(code: string, message: string, retryable: boolean, retryAfterMs?: number): LaunchOutcome {
  return { ok: false, failure: { code, message, retryable, ...(retryAfterMs !== undefined && { retryAfterMs }) } };
}
