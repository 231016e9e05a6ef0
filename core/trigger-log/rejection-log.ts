/**
 * Writes the requests that launched nothing to the trigger log, at a bounded cost for the ones
 * anybody can send. An authenticated request is logged whole (its body kept for replay). An
 * anonymous one — refused by authentication, sent to an unknown trigger id, or sent to a trigger
 * without authentication — keeps only a body sample and capped headers, identical ones (same
 * trigger, code and sender) within the aggregation window become a repeat count on the first
 * one's line, and past the budget for anonymous rows they are counted in metrics, not logged.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { boundedMessage, type RejectCode } from '../reject.js';
import type { RecordedAnswer, RepeatCount, UnlaunchedRequest, TriggerLog } from '../store/store.js';
import { boundedRecord, type CaptureLimits, type PendingRecord } from './request-record.js';

/**
 * Who could have sent the request: decides how much of it the log keeps. `failure`: the service
 * failed on it (a 5xx) — bounded like an anonymous one, but every one gets its own line.
 * `duplicate`: a repeat of a delivery already launched (its body is the run's payload) — bounded
 * and aggregated per run like an anonymous one, whoever sent it: a captured delivery sent again
 * and again must not grow the store either.
 */
export type Sender = 'authenticated' | 'anonymous' | 'unknown-trigger' | 'failure' | 'duplicate';

export type Logged = 'logged' | 'aggregated' | 'dropped';

export interface RejectionLogOptions {
  readonly store: TriggerLog;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly capture: CaptureLimits;
  /** Identical anonymous rejections within this window after the first are counted on its line. */
  readonly aggregateMs: number;
  /** What logged anonymous rejections may cost in the store; past it they are not logged. */
  readonly budgetBytes: number;
  /** Told of each anonymous rejection not logged because the budget is spent (metrics). */
  readonly onDropped?: (triggerId: string) => void;
  /** How often repeat counts are written; tests call `flush`. */
  readonly flushEveryMs?: number;
}

/** Why a request launched nothing: what its log line adds to its record. */
export interface Unlaunched {
  readonly outcome: UnlaunchedRequest['outcome'];
  readonly status: number;
  readonly code?: RejectCode | undefined;
  /** Bounded like rejection messages when written (filter reasons quote payload values). */
  readonly message: string;
  readonly runId?: string | undefined;
  /** A duplicate's body is the payload of the run it repeats: not kept again. */
  readonly withoutBody?: boolean | undefined;
}

export interface RejectionLog {
  /**
   * Logs a request that launched nothing. Its record is completed (headers redacted, body
   * hashed) only when a line is written: an aggregated or dropped one costs a map lookup, and is
   * told at once (not as a promise: a flood of forged requests is mostly these, issue #14); a
   * line written is told once the store has it in hand.
   */
  record(request: PendingRecord, what: Unlaunched, sender: Sender): Logged | Promise<Logged>;
  /**
   * Remembers what a sender got back, for its logged request. Kept here with the repeat counts
   * because it is written the same way: gathered in memory and written on the next flush, so the
   * hot path pays no store write (and no fsync) per request.
   */
  recordAnswer(answer: RecordedAnswer): void;
  /** Writes the repeat counts and answers gathered so far; readers of the log in this process call it first. */
  flush(): Promise<void>;
  /** Re-reads what the logged anonymous rejections cost (after a retention purge freed some). */
  resync(): Promise<void>;
  close(): Promise<void>;
}

interface Aggregate {
  readonly requestId: string;
  readonly untilMs: number;
  repeats: number;
  lastAtMs: number;
}

/** Open aggregates kept at most; a flood from more senders than this evicts the oldest. */
const MAX_OPEN = 10_000;
const WARN_EVERY_MS = 60_000;
/** Answers written in one store write: the event loop runs between two (each ~0.3 ms on SQLite). */
const ANSWERS_PER_WRITE = 256;
/** Answers waiting for the next flush, at most. */
const MAX_UNWRITTEN_ANSWERS = 50_000;
/** Log lines handed to the store and not yet committed, at most; past it, a refusal waits for its line. */
const MAX_UNCOMMITTED_LINES = 10_000;

export async function createRejectionLog(options: RejectionLogOptions): Promise<RejectionLog> {
  const { store, clock, logger } = options;
  let spent = await store.unauthenticatedLogBytes();
  const open = new Map<string, Aggregate>();
  let unwritten: RepeatCount[] = [];
  let answers: RecordedAnswer[] = [];
  let droppedSinceWarning = 0;
  let lastWarningMs = -Infinity;
  const committing = new Set<Promise<void>>();

  /**
   * Hands a line to the store's next group commit without waiting for it: a refusal is answered
   * before its line is durable (issue #14: on PostgreSQL each one waited for a commit of its own).
   * It is not lost: a failed write is reported in the service log, and `flush` (what readers of the
   * log in this process call first) waits for every line handed over before it.
   */
  const write = async (entry: UnlaunchedRequest): Promise<void> => {
    const line: Promise<void> = store.recordUnlaunched(entry).then(
      () => void committing.delete(line),
      (error: unknown) => {
        committing.delete(line);
        logger.error({ err: error, triggerId: entry.triggerId, requestId: entry.requestId }, 'could not write a request to the trigger log');
      },
    );
    committing.add(line);
    if (committing.size >= MAX_UNCOMMITTED_LINES) await line;
  };

  const take = (aggregate: Aggregate): void => {
    if (aggregate.repeats === 0) return;
    unwritten.push({ requestId: aggregate.requestId, repeats: aggregate.repeats, lastAtMs: aggregate.lastAtMs });
    aggregate.repeats = 0;
  };

  const flush = async (): Promise<void> => {
    // Repeat counts and answers update the lines they belong to: those must be written first.
    const sent = answers;
    answers = [];
    await Promise.all(committing);
    const now = clock.now();
    for (const [key, aggregate] of open) {
      take(aggregate);
      if (aggregate.untilMs <= now) open.delete(key);
    }
    // In writes of ANSWERS_PER_WRITE: a second's answers in one transaction held the event loop
    // for ~9 ms under load (issue #14), and every request arriving meanwhile waited that long.
    for (let at = 0; at < sent.length; at += ANSWERS_PER_WRITE) await store.recordAnswers(sent.slice(at, at + ANSWERS_PER_WRITE));
    if (unwritten.length === 0) return;
    const counts = unwritten;
    unwritten = [];
    await store.addRepeats(counts);
  };

  const timer = setInterval(() => {
    flush().catch((error: unknown) => logger.error({ err: error }, 'could not write the counts of repeated rejections; trying again'));
  }, options.flushEveryMs ?? 1000);
  timer.unref();

  // The key last made, kept for the next request: a flood comes from few senders for one reason,
  // and joining and hashing a new key string per request was a visible share of a refusal (issue #14).
  let lastKey = { trigger: '', reason: '', runId: '', address: '', key: '\0\0\0' };
  const aggregateKey = (trigger: string, reason: string, runId: string, address: string): string => {
    if (trigger !== lastKey.trigger || reason !== lastKey.reason || runId !== lastKey.runId || address !== lastKey.address) {
      lastKey = { trigger, reason, runId, address, key: `${trigger}\0${reason}\0${runId}\0${address}` };
    }
    return lastKey.key;
  };

  const dropped = (triggerId: string): Logged => {
    options.onDropped?.(triggerId);
    droppedSinceWarning++;
    const now = clock.now();
    if (now - lastWarningMs >= WARN_EVERY_MS) {
      logger.warn(
        { dropped: droppedSinceWarning, budgetBytes: options.budgetBytes },
        'the trigger log budget for unauthenticated requests is spent: their rejections are counted in metrics (hooklaunch_trigger_log_dropped_total), not logged, until retention frees space; raise trigger_log.unauthenticated_max_bytes to keep more',
      );
      lastWarningMs = now;
      droppedSinceWarning = 0;
    }
    return 'dropped';
  };

  return {
    // Not an async function: a repeat folded into an open line (what a flood of forged requests
    // mostly is) is answered without a promise, and its caller need not wait a tick (issue #14).
    record(request, what, sender) {
      if (sender === 'authenticated') return logged(write(entryOf(request, what)));
      const now = clock.now();
      // Unknown ids are one bucket per sender: random ids must not each open a line of their own.
      const key = aggregateKey(sender === 'unknown-trigger' ? '' : request.triggerId, what.code ?? what.outcome, what.runId ?? '', request.remoteAddress);
      const aggregate = sender === 'failure' ? undefined : open.get(key);
      if (aggregate && aggregate.untilMs > now) {
        aggregate.repeats++;
        aggregate.lastAtMs = request.receivedAtMs;
        return 'aggregated';
      }
      if (aggregate) {
        take(aggregate);
        open.delete(key);
      }
      const bounded = boundedRecord(entryOf(request, what), options.capture) as UnlaunchedRequest;
      const cost = bounded.unauthenticatedBytes ?? 0;
      if (spent + cost > options.budgetBytes) return dropped(request.triggerId);
      spent += cost;
      if (sender === 'failure') return logged(write(bounded));
      if (open.size >= MAX_OPEN) {
        const [oldestKey, oldest] = open.entries().next().value as [string, Aggregate];
        take(oldest);
        open.delete(oldestKey);
      }
      open.set(key, { requestId: request.requestId, untilMs: now + options.aggregateMs, repeats: 0, lastAtMs: request.receivedAtMs });
      return logged(write(bounded));
    },
    recordAnswer(answer) {
      // A store that stopped answering must not grow this without bound: past the cap, answers are not kept.
      if (answers.length < MAX_UNWRITTEN_ANSWERS) answers.push(answer);
    },
    flush,
    async resync() {
      spent = await store.unauthenticatedLogBytes();
    },
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

async function logged(written: Promise<void>): Promise<Logged> {
  await written;
  return 'logged';
}

function entryOf(request: PendingRecord, what: Unlaunched): UnlaunchedRequest {
  const record = request.complete();
  const raw = what.withoutBody && record.raw ? { ...record.raw, body: undefined } : record.raw;
  return { ...record, raw, outcome: what.outcome, status: what.status, code: what.code, message: boundedMessage(what.message), runId: what.runId };
}
