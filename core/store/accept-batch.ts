/**
 * The one accept algorithm both stores run on a group commit's batch: in order, each accept is a
 * duplicate (of a stored dedupe row or of an earlier accept of the same batch), rate-limited
 * (counting the launches already in the window and the earlier accepts of the same batch),
 * batched (it joins or opens its key's open batch) or accepted; each batch close launches the batch's
 * run, holds it (a rate limit) or finds it not due; the rows to write follow from that. A store only answers the lookups `planLookups`
 * asks for and writes the rows `decideBatch` returns, so a fix to the rules lands here once.
 * Deciding a batch gives what deciding its items one by one would (test/core/store/accept-batch.test.ts).
 */
import { keepsOwnBody, limitReached, rateLimited } from './accept-rules.js';
import type { AcceptOutcome, AcceptRequest, BatchClose, BatchCloseOutcome, BatchCloseReason, BatchRecord, RateLimitSpec, RequestRecord, UnlaunchedRequest } from './store.js';

/** An accept, a rejection to log or a batch to close: what one group commit holds. */
export type Batched =
  | { readonly kind: 'accept'; readonly input: AcceptRequest }
  | { readonly kind: 'unlaunched'; readonly entry: UnlaunchedRequest }
  | { readonly kind: 'close'; readonly close: BatchClose };

/** What deciding one item gives: an accept's or a close's outcome, nothing for a logged rejection. */
export type ItemOutcome = AcceptOutcome | BatchCloseOutcome | undefined;

/** The content type of a batch run's payload (batch.jsonl). */
export const BATCH_CONTENT_TYPE = 'application/x-ndjson';

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

/** Batches to look up: the newest open one of each (trigger, key) a delivery joins, and those closed by id. */
export interface BatchLookup {
  readonly triggerIds: readonly string[];
  readonly keys: readonly string[];
  readonly ids: readonly string[];
}

export interface AcceptLookups {
  readonly dedupe: DedupeLookup;
  readonly windows: readonly WindowLookup[];
  readonly batches: BatchLookup;
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
  /** The batches found (any order; an id or key with none is simply absent). */
  readonly batches?: readonly BatchRecord[] | undefined;
}

export interface RunRow {
  readonly runId: string;
  readonly triggerId: string;
  readonly requestId: string;
  readonly acceptedAtMs: number;
  readonly contentType: string;
  readonly payload: Buffer;
  /** Set on a batch's run: its payload is the batch's items. */
  readonly batchId: string | null;
}

/** One delivery of a batch; `position` counts from 1 in arrival order. */
export interface BatchItemRow {
  readonly batchId: string;
  readonly position: number;
  readonly requestId: string;
  readonly receivedAtMs: number;
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
  /** The headers as sent, as JSON text. */
  readonly headers: string;
  /** The same headers as values, and the logged ones of its request row: a store may keep only where they differ. */
  readonly headerValues: Readonly<Record<string, readonly string[]>>;
  readonly loggedHeaders: Readonly<Record<string, string>>;
  readonly body: Buffer | null;
  readonly truncated: 0 | 1;
}

/** A RawRow whose JSON text is made on first read: the SQLite store keeps most raw headers another way and never reads it. */
class CapturedRaw implements RawRow {
  #headers: string | undefined;
  constructor(
    readonly requestId: string,
    readonly target: string,
    readonly headerValues: Readonly<Record<string, readonly string[]>>,
    readonly loggedHeaders: Readonly<Record<string, string>>,
    readonly body: Buffer | null,
    readonly truncated: 0 | 1,
  ) {}

  get headers(): string {
    return (this.#headers ??= JSON.stringify(this.headerValues));
  }
}

/** What a batch writes, in batch order; `dedupe` holds one row per (trigger, key), the last written; `batches` each touched batch as it ends up. */
export interface AcceptRows {
  readonly runs: readonly RunRow[];
  readonly batches: readonly BatchRecord[];
  readonly batchItems: readonly BatchItemRow[];
  readonly dedupe: readonly StoredDedupe[];
  readonly jobs: readonly JobRow[];
  readonly requests: readonly RequestRow[];
  readonly raws: readonly RawRow[];
}

export interface BatchDecision {
  /** One per item: an accept's or close's outcome, undefined for a logged rejection. */
  readonly outcomes: ItemOutcome[];
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
  const batchKeys = new Map<string, { triggerId: string; key: string }>();
  const batchIds = new Set<string>();
  const locked = new Set<string>();
  const countWindows = (triggerId: string, rateLimits: readonly RateLimitSpec[], now: number): void => {
    acceptsOf.set(triggerId, (acceptsOf.get(triggerId) ?? 0) + 1);
    for (const limit of rateLimits) {
      const key = windowKey(triggerId, limit);
      const window = windows.get(key);
      // The earliest arrival needs the widest window; later ones use a part of it.
      if (!window) windows.set(key, { triggerId, limit, sinceMs: now - limit.periodMs });
      else window.sinceMs = Math.min(window.sinceMs, now - limit.periodMs);
    }
  };
  for (const item of items) {
    if (item.kind === 'close') {
      // A close reads and changes its batch: decided under its trigger's lock, exactly once.
      const { batchId, triggerId, rateLimits, nowMs } = item.close;
      batchIds.add(batchId);
      locked.add(triggerId);
      countWindows(triggerId, rateLimits, nowMs);
      continue;
    }
    if (item.kind !== 'accept') continue;
    const { request, dedupe, rateLimits, batch } = item.input;
    const { triggerId, receivedAtMs: now } = request;
    for (const { key } of dedupe?.keys ?? []) {
      pairs.set(pairKey(triggerId, key), { triggerId, key });
      aliveAfterMs = Math.min(aliveAfterMs, now);
    }
    if (batch) {
      // A delivery that joins a batch launches nothing now: no rate limit applies to it.
      batchKeys.set(pairKey(triggerId, batch.key), { triggerId, key: batch.key });
      locked.add(triggerId);
      continue;
    }
    countWindows(triggerId, rateLimits, now);
  }
  for (const { triggerId } of pairs.values()) locked.add(triggerId);
  return {
    dedupe: { triggerIds: [...pairs.values()].map((p) => p.triggerId), keys: [...pairs.values()].map((p) => p.key), aliveAfterMs: Number.isFinite(aliveAfterMs) ? aliveAfterMs : 0 },
    batches: { triggerIds: [...batchKeys.values()].map((b) => b.triggerId), keys: [...batchKeys.values()].map((b) => b.key), ids: [...batchIds] },
    windows: [...windows.values()].map(({ triggerId, limit, sinceMs }) => {
      locked.add(triggerId);
      // Each earlier accept of the batch for this trigger can push one stored launch past the quota.
      const skip = Math.max(0, limit.quota - acceptsOf.get(triggerId)!);
      return { triggerId, periodMs: limit.periodMs, quota: limit.quota, sinceMs, skip, take: limit.quota - skip };
    }),
    lockedTriggers: [...locked].sort(),
  };
}

/**
 * Text a line can keep on either store: PostgreSQL's text holds no NUL, and one would fail the
 * whole group commit it shares. A message may quote the payload; an unknown trigger id is what the
 * launch URL said, percent-decoded (`x%00y`). Shown as U+FFFD.
 */
function storable(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text;
}

/** Decides every item of the batch in order, from the store's answers to `lookups`. */
export function decideBatch(items: readonly Batched[], lookups: AcceptLookups, facts: AcceptFacts): BatchDecision {
  const stored = new Map(facts.dedupe.map((row) => [pairKey(row.triggerId, row.key), row]));
  const written = new Map<string, StoredDedupe>();
  const windows = new Map(lookups.windows.map((lookup, i) => [windowKey(lookup.triggerId, lookup), new WindowView(lookup, facts.windows[i]!)]));
  const windowsOf = new Map<string, WindowView[]>();
  for (const view of windows.values()) windowsOf.set(view.lookup.triggerId, [...(windowsOf.get(view.lookup.triggerId) ?? []), view]);
  // Batches by id as they stand (stored, then as this commit changed them), and the open one of each key.
  const batches = new Map<string, BatchRecord>();
  const openOf = new Map<string, string>();
  for (const batch of facts.batches ?? []) {
    batches.set(batch.batchId, batch);
    // A close may have fetched a sealed or full batch of the key: never the one a delivery joins (shared-sql.ts takesMore).
    if (takesMore(batch)) {
      const pair = pairKey(batch.triggerId, batch.key);
      const known = openOf.get(pair);
      if (known === undefined || batches.get(known)!.openedAtMs < batch.openedAtMs) openOf.set(pair, batch.batchId);
    }
  }
  const touched = new Set<string>();
  const batchItems: BatchItemRow[] = [];
  const runs: RunRow[] = [];
  const jobs: JobRow[] = [];
  const requests: RequestRow[] = [];
  const raws: RawRow[] = [];

  const log = (request: RequestRecord, outcome: string, status: number, code: string | null, message: string | null, runId: string | null): void => {
    requests.push({
      requestId: request.requestId,
      triggerId: storable(request.triggerId),
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
      message: message === null ? null : storable(message),
      runId,
      replayOf: request.replayOf ?? null,
      unauthenticatedBytes: request.unauthenticatedBytes ?? 0,
      revision: request.revision ?? null,
    });
    const raw = request.raw;
    if (raw) raws.push(new CapturedRaw(request.requestId, raw.target, raw.headers, request.headers, keepsOwnBody(outcome) ? (raw.body ?? null) : null, raw.truncated ? 1 : 0));
  };

  const remember = (batch: BatchRecord): void => {
    batches.set(batch.batchId, batch);
    touched.delete(batch.batchId); // re-inserted last: the row order says which write wins
    touched.add(batch.batchId);
  };

  const remembersKeys = (input: AcceptRequest, runId: string): void => {
    const { triggerId, receivedAtMs: now } = input.request;
    for (const { key } of input.dedupe?.keys ?? []) {
      const pair = pairKey(triggerId, key);
      written.delete(pair); // re-inserted last: the row order says which write wins
      written.set(pair, { triggerId, key, runId, expiresAtMs: now + input.dedupe!.windowMs });
    }
  };

  const launch = (runId: string, triggerId: string, requestId: string, now: number, actions: readonly unknown[], run: Pick<RunRow, 'contentType' | 'payload' | 'batchId'>): void => {
    runs.push({ runId, triggerId, requestId, acceptedAtMs: now, ...run });
    // A launch counts against every limit of its trigger, whichever limits its own request had.
    for (const view of windowsOf.get(triggerId) ?? []) view.add(now);
    actions.forEach((spec, index) => {
      jobs.push({ jobId: `${runId}.${index}`, runId, triggerId, actionIndex: index, spec: JSON.stringify(spec), nextAttemptAtMs: now });
    });
  };

  const join = (input: AcceptRequest): AcceptOutcome => {
    const { request, batch: join } = input;
    const { triggerId, receivedAtMs: now } = request;
    const pair = pairKey(triggerId, join!.key);
    const current = batches.get(openOf.get(pair) ?? '');
    let batch: BatchRecord;
    const size = input.payload.length;
    // Full or past its close time: the closer has not got to it yet, but it takes no more.
    const joinable = current && current.state === 'open' && current.items < current.maxItems && now < current.closesAtMs;
    const fits = joinable && current.bytes + size <= current.maxBytes;
    if (fits) {
      batch = { ...current, items: current.items + 1, bytes: current.bytes + size, lastAtMs: now, closesAtMs: closesAt(current.openedAtMs, current.windowMs, current.quietMs, now) };
    } else {
      // This delivery would take the batch past its bytes: the batch is sealed and due now, and this one opens the next.
      if (joinable) remember({ ...current, closesAtMs: now, closeReason: 'max_bytes' });
      batch = {
        batchId: join!.newBatchId,
        triggerId,
        key: join!.key,
        runId: input.runId,
        state: 'open',
        items: 1,
        maxItems: join!.maxItems,
        bytes: size,
        maxBytes: join!.maxBytes,
        windowMs: join!.windowMs,
        quietMs: join!.quietMs,
        openedAtMs: now,
        lastAtMs: now,
        closesAtMs: closesAt(now, join!.windowMs, join!.quietMs, now),
        actions: JSON.stringify(input.actions),
        firstRequestId: request.requestId,
      };
      openOf.set(pair, batch.batchId);
    }
    remember(batch);
    batchItems.push({ batchId: batch.batchId, position: batch.items, requestId: request.requestId, receivedAtMs: now, contentType: input.contentType, payload: input.payload });
    remembersKeys(input, batch.runId);
    log(request, 'batched', input.answerStatus ?? 200, null, `item ${batch.items} of batch ${batch.batchId}`, batch.runId);
    // Due now (the closer is woken at once rather than at its next poll): this batch is full, or the one before was sealed.
    const dueNow = batch.items >= batch.maxItems || (joinable && !fits);
    // The delivery that fills its batch closes it: it launches now, not at its window or quiet time.
    const closesAtMs = batch.items >= batch.maxItems ? now : batch.closesAtMs;
    return { kind: 'batched', runId: batch.runId, batchId: batch.batchId, position: batch.items, closesAtMs, ...(dueNow && { dueNow: true }) };
  };

  const decide = (input: AcceptRequest): AcceptOutcome => {
    const { request } = input;
    const { triggerId, receivedAtMs: now } = request;
    for (const { key, what } of input.dedupe?.keys ?? []) {
      // A row this batch wrote replaced the stored one.
      const row = written.get(pairKey(triggerId, key)) ?? stored.get(pairKey(triggerId, key));
      if (row && row.expiresAtMs > now) return { kind: 'duplicate', runId: row.runId, what };
    }
    if (input.batch) return join(input);
    for (const limit of input.rateLimits) {
      const nth = windows.get(windowKey(triggerId, limit))!.quotaFilledAt(now);
      if (nth !== undefined) return rateLimited(limit, nth, now);
    }
    launch(input.runId, triggerId, request.requestId, now, input.actions, { contentType: input.contentType, payload: input.payload, batchId: null });
    remembersKeys(input, input.runId);
    log(request, 'accepted', input.answerStatus ?? 200, null, null, input.runId);
    return { kind: 'accepted', runId: input.runId };
  };

  const close = (close: BatchClose): BatchCloseOutcome => {
    const batch = batches.get(close.batchId);
    if (!batch || batch.state === 'launched' || batch.triggerId !== close.triggerId) return { kind: 'not_open', state: batch?.state };
    const now = close.nowMs;
    const full = batch.items >= batch.maxItems;
    if (close.reason === 'due' && !full && batch.closesAtMs > now) return { kind: 'not_due' };
    const reason: BatchCloseReason =
      batch.closeReason ?? (close.reason === 'manual' ? 'manual' : full ? 'max_items' : batch.closesAtMs === batch.openedAtMs + batch.windowMs ? 'window' : 'quiet');
    if (close.hold) {
      remember({ ...batch, state: 'held', closesAtMs: close.hold.untilMs, closeReason: reason, note: close.hold.note });
      return { kind: 'held', untilMs: close.hold.untilMs, message: close.hold.note };
    }
    for (const limit of close.rateLimits) {
      const nth = windows.get(windowKey(batch.triggerId, limit))!.quotaFilledAt(now);
      if (nth === undefined) continue;
      // Its deliveries are stored and acknowledged: the batch waits for the window instead of dropping them.
      const untilMs = nth + limit.periodMs;
      const note = `${limitReached(limit)}; the batch launches at ${new Date(untilMs).toISOString()}`;
      remember({ ...batch, state: 'held', closesAtMs: untilMs, closeReason: reason, note });
      return { kind: 'held', untilMs, message: note };
    }
    launch(batch.runId, batch.triggerId, batch.firstRequestId, now, JSON.parse(batch.actions) as unknown[], { contentType: BATCH_CONTENT_TYPE, payload: Buffer.alloc(0), batchId: batch.batchId });
    remember({ ...batch, state: 'launched', closedAtMs: now, closeReason: reason, note: undefined });
    return { kind: 'launched', runId: batch.runId, items: batch.items, reason };
  };

  const outcomes = items.map((item): ItemOutcome => {
    if (item.kind === 'accept') return decide(item.input);
    if (item.kind === 'close') return close(item.close);
    const { outcome, status, code, message, runId, ...request } = item.entry;
    log(request, outcome, status, code ?? null, message, runId ?? null);
    return undefined;
  });
  const batchRows = [...touched].map((id) => batches.get(id)!);
  return { outcomes, rows: { runs, batches: batchRows, batchItems, dedupe: [...written.values()], jobs, requests, raws } };
}

/** Whether a delivery of its key may join the batch: open, not sealed by max_bytes, not full (as shared-sql.ts takesMore). */
function takesMore(batch: BatchRecord): boolean {
  return batch.state === 'open' && batch.closeReason === undefined && batch.items < batch.maxItems;
}

/** A batch closes a window after its first delivery, or a quiet time after its last, whichever is first. */
function closesAt(openedAtMs: number, windowMs: number, quietMs: number | undefined, lastAtMs: number): number {
  return quietMs === undefined ? openedAtMs + windowMs : Math.min(openedAtMs + windowMs, lastAtMs + quietMs);
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
