import type { StopExecution } from './cancel-run.js';
import type { Launcher } from './launcher.js';

/** A launcher with whatever runs behind it in this process (the local runner, or nothing for a remote engine). */
export interface LaunchBackend {
  readonly launcher: Launcher;
  /** Recovers work a previous process left, before the launch worker starts. */
  start(): Promise<void>;
  /** Resolves when nothing is running in this process (tests, shutdown). */
  idle(): Promise<void>;
  isIdle(): boolean;
  /** Stops what runs in this process, within the configured grace; queued work stays queued. */
  stop(): Promise<void>;
  /** Stops one unfinished execution it launched (`runs cancel`). */
  readonly stopExecution: StopExecution;
  /** Ends what runs in this process at once, synchronously (exiting on a second signal). */
  abort?(): void;
}
