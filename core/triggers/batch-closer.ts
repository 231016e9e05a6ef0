/**
 * Closes batches (issue #17): each one whose window or quiet time ran out, or that is full, is
 * launched once — the store decides it in the same group commit as accepts, under the trigger's
 * lock, so two instances (or a restart after SIGKILL) never launch a batch twice. A batch whose
 * launch a rate limit forbids is held until the window frees; a paused trigger's batches wait.
 *
 * Timing: a timer wakes the closer at the next due batch (told by `scheduled` when a delivery
 * joins, and asked of the store after each pass, which also sees other instances' batches); tests
 * with an injected clock call `closeDue()` instead of sleeping.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { BatchCloseOutcome, BatchRecord, Batches } from '../store/store.js';
import type { TriggerSet } from './trigger-set.js';

export interface BatchCloserOptions {
  readonly store: Batches;
  readonly triggers: Pick<TriggerSet, 'get'>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Told when a batch launched (its run's jobs are queued): wakes the launch worker. */
  readonly onLaunched: (runId: string) => void;
  /** Longest wait between looks at the store (default 1000 ms): batches of other instances, missed wake-ups. */
  readonly pollMs?: number | undefined;
  /** How long a paused trigger's batch waits before it is looked at again (default 30 s). */
  readonly pausedRetryMs?: number | undefined;
}

export type ManualClose = BatchCloseOutcome | { readonly kind: 'not_found' };

export interface BatchCloser {
  start(): void;
  /** A delivery joined a batch that closes by `closesAtMs` (now when full). */
  scheduled(closesAtMs: number, full: boolean): void;
  /** Closes every batch that is due now; resolves with how many launched. */
  closeDue(): Promise<number>;
  /** Closes one batch now, before its time (`hooklaunch batch close`); rate limits still apply. */
  closeNow(batchId: string): Promise<ManualClose>;
  stop(): Promise<void>;
}

const PASS_SIZE = 50;

export function createBatchCloser(options: BatchCloserOptions): BatchCloser {
  const { store, triggers, clock, logger } = options;
  const pollMs = options.pollMs ?? 1000;
  const pausedRetryMs = options.pausedRetryMs ?? 30_000;
  let running = false;
  // Set by stop(): a pass ends after the batch in hand (thousands may be due at once, a commit each),
  // so a SIGTERM is not held up; the batches left are due still and close after the restart.
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let wakeAtMs = Infinity;
  let passing: Promise<number> | undefined;

  const report = (batch: BatchRecord, outcome: BatchCloseOutcome): void => {
    const at = { triggerId: batch.triggerId, batchId: batch.batchId, key: batch.key, items: batch.items, runId: batch.runId };
    if (outcome.kind === 'launched') {
      logger.info({ ...at, reason: outcome.reason }, `batch launched: ${outcome.items} deliveries (${outcome.reason})`);
      options.onLaunched(outcome.runId);
    } else if (outcome.kind === 'held' && batch.note !== outcome.message) {
      logger.info({ ...at, until: new Date(outcome.untilMs).toISOString() }, `batch held: ${outcome.message}`);
    }
  };

  const closeOne = async (batch: BatchRecord, reason: 'due' | 'manual'): Promise<BatchCloseOutcome> => {
    const now = clock.now();
    const trigger = triggers.get(batch.triggerId);
    // A trigger deleted since still launches what it acknowledged, with the actions the batch kept.
    const hold = trigger?.paused ? { untilMs: now + pausedRetryMs, note: 'its trigger is paused; the batch launches once the trigger is resumed' } : undefined;
    const outcome = await store.closeBatch({ batchId: batch.batchId, triggerId: batch.triggerId, nowMs: now, reason, rateLimits: trigger?.rateLimits ?? [], hold });
    report(batch, outcome);
    return outcome;
  };

  const pass = async (): Promise<number> => {
    let launched = 0;
    for (;;) {
      const due = await store.dueBatches(clock.now(), PASS_SIZE);
      let changed = 0;
      for (const batch of due) {
        if (stopping) return launched;
        const outcome = await closeOne(batch, 'due');
        if (outcome.kind === 'launched') launched++;
        if (outcome.kind === 'launched' || outcome.kind === 'held') changed++;
      }
      // Another full page may be waiting; a page where nothing changed would only come back again.
      if (due.length < PASS_SIZE || changed === 0) return launched;
    }
  };

  const closeDue = (): Promise<number> => {
    // One pass at a time: a second caller waits for the running one, then makes its own.
    const next = (passing ?? Promise.resolve(0)).catch(() => 0).then(pass);
    passing = next;
    return next.finally(() => {
      if (passing === next) passing = undefined;
    });
  };

  const arm = (atMs: number): void => {
    if (!running || atMs >= wakeAtMs) return;
    wakeAtMs = atMs;
    clearTimeout(timer);
    timer = setTimeout(() => void tick(), Math.max(0, Math.min(pollMs, atMs - clock.now())));
  };

  const tick = async (): Promise<void> => {
    wakeAtMs = Infinity;
    try {
      await closeDue();
    } catch (error) {
      logger.error({ err: error }, 'closing batches failed; trying again shortly');
    }
    let next = clock.now() + pollMs;
    try {
      const due = await store.nextBatchDueMs();
      if (due !== undefined) next = Math.min(next, due);
    } catch {
      // The store is unreachable: the next poll tries again.
    }
    arm(next);
  };

  return {
    start() {
      running = true;
      stopping = false;
      void tick();
    },
    scheduled(closesAtMs, full) {
      arm(full ? clock.now() : closesAtMs);
    },
    closeDue,
    async closeNow(batchId) {
      const batch = await store.getBatch(batchId);
      if (!batch) return { kind: 'not_found' };
      return closeOne(batch, 'manual');
    },
    async stop() {
      running = false;
      stopping = true;
      clearTimeout(timer);
      await passing?.catch(() => undefined);
    },
  };
}
