/**
 * The one accept algorithm both stores run on a group commit's batch: in order, each accept is a
 * duplicate (of a stored dedupe row or of an earlier accept of the same batch), rate-limited
 * (counting the launches already in the window and the earlier accepts of the same batch) or
 * accepted; the rows to write follow from that. A store only answers the lookups `planLookups`
 * asks for and writes the rows `decideBatch` returns, so a fix to the rules lands here once.
 * Deciding a batch gives what deciding its items one by one would (test/core/store/accept-batch.test.ts).
 */
import { keepsOwnBody, rateLimited } from './accept-rules.js';
import type { AcceptOutcome, AcceptRequest, RateLimitSpec, RequestRecord, UnlaunchedRequest } from './store.js';

/** An accept or a rejection to log: what one group commit holds. */
export type Batched = { readonly kind: 'accept'; readonly input: AcceptRequest } | { readonly kind: 'unlaunched'; readonly entry: UnlaunchedRequest };

/** Dedupe rows to look up: those of these (trigger, key) pairs that expire after `aliveAfterMs`. */
export interface DedupeLookup {
  readonly triggerIds: readonly string[];
  readonly keys: readonly string[];
  readonly aliveAfterMs: number;
}

/**
 * The launches of a trigger accepted after `sinceMs`, newest first, skipping the `skip` newest and
 * returning at most `take`. With a quota of millions only the slice around the quota-th newest
 * matters: the batch can move the boundary by at most its own size.
 */
export interface WindowLookup {
  readonly triggerId: string;
  readonly periodMs: number;
  readonly quota: number;
  readonly sinceMs: number;
  readonly skip: number;
  readonly take: number;
}

export interface AcceptLookups {
  readonly dedupe: DedupeLookup;
  readonly windows: readonly WindowLookup[];
  /** The triggers whose decisions read the store: PostgreSQL locks them for the transaction. */
  readonly lockedTriggers: readonly string[];
}

export interface StoredDedupe {
  readonly triggerId: string;
  readonly key: string;
  readonly runId: string;
  readonly expiresAtMs: number;
}

/** What the store answered; `windows[i]` answers `lookups.windows[i]` (times in any order). */
export interface AcceptFacts {
  readonly dedupe: readonly StoredDedupe[];
  readonly windows: ReadonlyArray<readonly number[]>;
}

export interface RunRow {
  readonly runId: string;
  readonly triggerId: string;
  readonly requestId: string;
  readonly acceptedAtMs: number;
  readonly contentType: string;
  readonly payload: Buffer;
}

export interface JobRow {
  readonly jobId: string;
  readonly runId: string;
  readonly triggerId: string;
  readonly actionIndex: number;
  readonly spec: string;
  readonly nextAttemptAtMs: number;
}

/** A trigger-log line, column for column. */
export interface RequestRow {
  readonly requestId: string;
  readonly triggerId: string;
  readonly receivedAtMs: number;
  readonly method: string;
  readonly path: string;
  readonly remoteAddress: string;
  readonly sizeBytes: number;
  readonly bodySha256: string;
  readonly headers: string;
  readonly outcome: string;
  readonly status: number;
  readonly code: string | null;
  readonly message: string | null;
  readonly runId: string | null;
  readonly replayOf: string | null;
  readonly unauthenticatedBytes: number;
  readonly revision: number | null;
}

export interface RawRow {
  readonly requestId: string;
  readonly target: string;
  readonly headers: string;
  readonly body: Buffer | null;
  readonly truncated: 0 | 1;
}

/** What a batch writes, in batch order; `dedupe` holds one row per (trigger, key), the last written. */
export interface AcceptRows {
  readonly runs: readonly RunRow[];
  readonly dedupe: readonly StoredDedupe[];
  readonly jobs: readonly JobRow[];
  readonly requests: readonly RequestRow[];
  readonly raws: readonly RawRow[];
}

export interface BatchDecision {
  /** One per item: an accept's outcome, undefined for a logged rejection. */
  readonly outcomes: Array<AcceptOutcome | undefined>;
  readonly rows: AcceptRows;
}

const pairKey = (triggerId: string, key: string): string => `${triggerId}\0${key}`;
const windowKey = (triggerId: string, limit: RateLimitSpec): string => `${triggerId}\0${limit.periodMs}\0${limit.quota}`;

/** What `decideBatch` needs to know from the store about this batch. */
export function planLookups(items: readonly Batched[]): AcceptLookups {
  const pairs = new Map<string, { triggerId: string; key: string }>();
  let aliveAfterMs = Infinity;
  const acceptsOf = new Map<string, number>();
  const windows = new Map<string, { triggerId: string; limit: RateLimitSpec; sinceMs: number }>();
  for (const item of items) {
    if (item.kind !== 'accept') continue;
    const { request, dedupe, rateLimits } = item.input;
    const { triggerId, receivedAtMs: now } = request;
    acceptsOf.set(triggerId, (acceptsOf.get(triggerId) ?? 0) + 1);
    for (const { key } of dedupe?.keys ?? []) {
      pairs.set(pairKey(triggerId, key), { triggerId, key });
      aliveAfterMs = Math.min(aliveAfterMs, now);
    }
    for (const limit of rateLimits) {
      const key = windowKey(triggerId, limit);
      const window = windows.get(key);
      // The earliest arrival needs the widest window; later ones use a part of it.
      if (!window) windows.set(key, { triggerId, limit, sinceMs: now - limit.periodMs });
      else window.sinceMs = Math.min(window.sinceMs, now - limit.periodMs);
    }
  }
  const locked = new Set<string>();
  for (const { triggerId } of pairs.values()) locked.add(triggerId);
  return {
    dedupe: { triggerIds: [...pairs.values()].map((p) => p.triggerId), keys: [...pairs.values()].map((p) => p.key), aliveAfterMs: Number.isFinite(aliveAfterMs) ? aliveAfterMs : 0 },
    windows: [...windows.values()].map(({ triggerId, limit, sinceMs }) => {
      locked.add(triggerId);
      // Each earlier accept of the batch for this trigger can push one stored launch past the quota.
      const skip = Math.max(0, limit.quota - acceptsOf.get(triggerId)!);
      return { triggerId, periodMs: limit.periodMs, quota: limit.quota, sinceMs, skip, take: limit.quota - skip };
    }),
    lockedTriggers: [...locked].sort(),
  };
}

/** Decides every item of the batch in order, from the store's answers to `lookups`. */
export function decideBatch(items: readonly Batched[], lookups: AcceptLookups, facts: AcceptFacts): BatchDecision {
  const stored = new Map(facts.dedupe.map((row) => [pairKey(row.triggerId, row.key), row]));
  const written = new Map<string, StoredDedupe>();
  const windows = new Map(lookups.windows.map((lookup, i) => [windowKey(lookup.triggerId, lookup), new WindowView(lookup, facts.windows[i]!)]));
  const windowsOf = new Map<string, WindowView[]>();
  for (const view of windows.values()) windowsOf.set(view.lookup.triggerId, [...(windowsOf.get(view.lookup.triggerId) ?? []), view]);
  const runs: RunRow[] = [];
  const jobs: JobRow[] = [];
  const requests: RequestRow[] = [];
  const raws: RawRow[] = [];

  const log = (request: RequestRecord, outcome: string, status: number, code: string | null, message: string | null, runId: string | null): void => {
    requests.push({
      requestId: request.requestId,
      triggerId: request.triggerId,
      receivedAtMs: request.receivedAtMs,
      method: request.method,
      path: request.path,
      remoteAddress: request.remoteAddress,
      sizeBytes: request.sizeBytes,
      bodySha256: request.bodySha256,
      headers: JSON.stringify(request.headers),
      outcome,
      status,
      code,
      message,
      runId,
      replayOf: request.replayOf ?? null,
      unauthenticatedBytes: request.unauthenticatedBytes ?? 0,
      revision: request.revision ?? null,
    });
    const raw = request.raw;
    if (raw) raws.push({ requestId: request.requestId, target: raw.target, headers: JSON.stringify(raw.headers), body: keepsOwnBody(outcome) ? (raw.body ?? null) : null, truncated: raw.truncated ? 1 : 0 });
  };

  const decide = (input: AcceptRequest): AcceptOutcome => {
    const { request } = input;
    const { triggerId, receivedAtMs: now } = request;
    for (const { key, what } of input.dedupe?.keys ?? []) {
      // A row this batch wrote replaced the stored one.
      const row = written.get(pairKey(triggerId, key)) ?? stored.get(pairKey(triggerId, key));
      if (row && row.expiresAtMs > now) return { kind: 'duplicate', runId: row.runId, what };
    }
    for (const limit of input.rateLimits) {
      const nth = windows.get(windowKey(triggerId, limit))!.quotaFilledAt(now);
      if (nth !== undefined) return rateLimited(limit, nth, now);
    }
    runs.push({ runId: input.runId, triggerId, requestId: request.requestId, acceptedAtMs: now, contentType: input.contentType, payload: input.payload });
    // A launch counts against every limit of its trigger, whichever limits its own request had.
    for (const view of windowsOf.get(triggerId) ?? []) view.add(now);
    for (const { key } of input.dedupe?.keys ?? []) {
      const pair = pairKey(triggerId, key);
      written.delete(pair); // re-inserted last: the row order says which write wins
      written.set(pair, { triggerId, key, runId: input.runId, expiresAtMs: now + input.dedupe!.windowMs });
    }
    input.actions.forEach((spec, index) => {
      jobs.push({ jobId: `${input.runId}.${index}`, runId: input.runId, triggerId, actionIndex: index, spec: JSON.stringify(spec), nextAttemptAtMs: now });
    });
    log(request, 'accepted', input.answerStatus ?? 200, null, null, input.runId);
    return { kind: 'accepted', runId: input.runId };
  };

  const outcomes = items.map((item) => {
    if (item.kind === 'accept') return decide(item.input);
    const { outcome, status, code, message, runId, ...request } = item.entry;
    log(request, outcome, status, code ?? null, message, runId ?? null);
    return undefined;
  });
  return { outcomes, rows: { runs, dedupe: [...written.values()], jobs, requests, raws } };
}

/** One rate-limit window: the stored slice the lookup returned, and the launches this batch added. */
class WindowView {
  /** Ascending. */
  private readonly times: number[];
  constructor(
    readonly lookup: WindowLookup,
    stored: readonly number[],
  ) {
    this.times = [...stored].sort((a, b) => a - b);
  }

  add(time: number): void {
    this.times.splice(countAtMost(this.times, time), 0, time);
  }

  /**
   * The quota-th newest launch in the period ending `now`, when the period holds the quota. The
   * `skip` stored launches newer than the slice count as inside the period: when the slice is not,
   * they might not be, but then the batch's own launches (fewer than quota - skip) cannot fill it.
   */
  quotaFilledAt(now: number): number | undefined {
    const { periodMs, quota, skip } = this.lookup;
    const inPeriod = this.times.length - countAtMost(this.times, now - periodMs);
    return skip + inPeriod >= quota ? this.times[this.times.length - (quota - skip)] : undefined;
  }
}

/** How many of the ascending `times` are ≤ `value` (binary search). */
function countAtMost(times: readonly number[], value: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (times[mid]! <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}
