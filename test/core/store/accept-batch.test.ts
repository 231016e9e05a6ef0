import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideBatch, planLookups, type AcceptFacts, type AcceptLookups, type AcceptRows, type Batched } from '../../../core/store/accept-batch.js';
import { rateLimited } from '../../../core/store/accept-rules.js';
import type { AcceptOutcome, AcceptRequest, BatchRecord, RateLimitSpec } from '../../../core/store/store.js';

/** What a store holds that accepting depends on. */
interface Model {
  readonly runs: Array<{ triggerId: string; atMs: number }>;
  readonly dedupe: Map<string, { runId: string; expiresAtMs: number }>;
}

/**
 * The reference: one item at a time, as the stores decided before batches were decided at once
 * (a dedupe row alive at arrival, then each limit's quota-th newest launch after now - period).
 */
function acceptOne(model: Model, input: AcceptRequest): AcceptOutcome {
  const { triggerId, receivedAtMs: now } = input.request;
  for (const { key, what } of input.dedupe?.keys ?? []) {
    const row = model.dedupe.get(`${triggerId}\0${key}`);
    if (row && row.expiresAtMs > now) return { kind: 'duplicate', runId: row.runId, what };
  }
  for (const limit of input.rateLimits) {
    const newest = model.runs.filter((r) => r.triggerId === triggerId && r.atMs > now - limit.periodMs).map((r) => r.atMs).sort((a, b) => b - a);
    if (newest.length >= limit.quota) return rateLimited(limit, newest[limit.quota - 1]!, now);
  }
  model.runs.push({ triggerId, atMs: now });
  for (const { key } of input.dedupe?.keys ?? []) model.dedupe.set(`${triggerId}\0${key}`, { runId: input.runId, expiresAtMs: now + input.dedupe!.windowMs });
  return { kind: 'accepted', runId: input.runId };
}

/** The lookups answered from the model, as the SQL (and SQLite's windows) answer them. */
function answer(model: Model, lookups: AcceptLookups): AcceptFacts {
  return {
    dedupe: lookups.dedupe.keys.flatMap((key, i) => {
      const triggerId = lookups.dedupe.triggerIds[i]!;
      const row = model.dedupe.get(`${triggerId}\0${key}`);
      return row && row.expiresAtMs > lookups.dedupe.aliveAfterMs ? [{ triggerId, key, ...row }] : [];
    }),
    windows: lookups.windows.map((w) =>
      model.runs
        .filter((r) => r.triggerId === w.triggerId && r.atMs > w.sinceMs)
        .map((r) => r.atMs)
        .sort((a, b) => b - a)
        .slice(w.skip, w.skip + w.take),
    ),
  };
}

function decide(model: Model, items: readonly Batched[]) {
  const lookups = planLookups(items);
  return decideBatch(items, lookups, answer(model, lookups));
}

let seq = 0;
function accept(triggerId: string, atMs: number, options: { keys?: string[] | undefined; windowMs?: number; limits?: RateLimitSpec[] } = {}): Batched {
  seq++;
  return {
    kind: 'accept',
    input: {
      request: { requestId: `req-${seq}`, triggerId, receivedAtMs: atMs, method: 'POST', path: '/', remoteAddress: '127.0.0.1', sizeBytes: 2, bodySha256: 'x', headers: {}, raw: { target: '/', headers: {}, body: Buffer.from('{}') } },
      runId: `run-${seq}`,
      payload: Buffer.from('{}'),
      contentType: 'application/json',
      actions: [{ type: 'fetch-repository' }],
      dedupe: options.keys ? { keys: options.keys.map((key) => ({ key, what: `key ${key}` })), windowMs: options.windowMs ?? 60_000 } : undefined,
      rateLimits: options.limits ?? [],
    },
  };
}

const empty = (): Model => ({ runs: [], dedupe: new Map() });

describe('deciding a batch of accepts', () => {
  it('makes a repeat of an earlier item of the same batch a duplicate of its run', () => {
    const first = accept('a', 1000, { keys: ['d1'] });
    const runId = (first as { input: AcceptRequest }).input.runId;
    const { outcomes, rows } = decide(empty(), [first, accept('a', 1001, { keys: ['d1'] })]);
    expect(outcomes).toEqual([
      { kind: 'accepted', runId },
      { kind: 'duplicate', runId, what: 'key d1' },
    ]);
    expect(rows.runs).toHaveLength(1);
    expect(rows.dedupe).toEqual([{ triggerId: 'a', key: 'd1', runId, expiresAtMs: 61_000 }]);
  });

  it('counts the earlier accepts of the same batch against the rate limit', () => {
    const limit = { periodMs: 60_000, quota: 2 };
    const { outcomes, rows } = decide(empty(), [accept('a', 1000, { limits: [limit] }), accept('a', 2000, { limits: [limit] }), accept('a', 3000, { limits: [limit] })]);
    expect(outcomes.map((o) => o!.kind)).toEqual(['accepted', 'accepted', 'rate_limited']);
    // The window frees up a period after the first launch: 61 s - 3 s.
    expect(outcomes[2]).toMatchObject({ retryAfterSeconds: 58 });
    expect(rows.runs).toHaveLength(2);
    expect(rows.requests).toHaveLength(2);
  });

  it('keeps the triggers of a mixed batch apart', () => {
    const limit = { periodMs: 60_000, quota: 1 };
    const { outcomes } = decide(empty(), [accept('a', 1000, { keys: ['k'], limits: [limit] }), accept('b', 1000, { keys: ['k'], limits: [limit] }), accept('a', 1001, { limits: [limit] }), accept('b', 1001, { keys: ['k'] })]);
    expect(outcomes.map((o) => o!.kind)).toEqual(['accepted', 'accepted', 'rate_limited', 'duplicate']);
  });

  it('calls a repeat that also exceeds the rate limit a duplicate: the sender already got its run', () => {
    const limit = { periodMs: 60_000, quota: 1 };
    const first = accept('a', 1000, { keys: ['d1'], limits: [limit] });
    const { outcomes } = decide(empty(), [first, accept('a', 1001, { keys: ['d1'], limits: [limit] })]);
    expect(outcomes[1]).toEqual({ kind: 'duplicate', runId: (first as { input: AcceptRequest }).input.runId, what: 'key d1' });
  });

  it('counts a launch against every limit of its trigger, also one its own request did not carry', () => {
    const { outcomes } = decide(empty(), [accept('a', 1000, { limits: [{ periodMs: 60_000, quota: 5 }] }), accept('a', 1001, { limits: [{ periodMs: 60_000, quota: 1 }] })]);
    expect(outcomes.map((o) => o!.kind)).toEqual(['accepted', 'rate_limited']);
  });

  it('logs the rejections of the batch in order among the accepts, keeping a rejection its own body', () => {
    const rejection: Batched = {
      kind: 'unlaunched',
      entry: { ...(accept('a', 1000) as { input: AcceptRequest }).input.request, outcome: 'rejected', status: 401, code: 'signature_mismatch', message: 'bad' },
    };
    const { outcomes, rows } = decide(empty(), [accept('a', 1000), rejection, accept('a', 1001)]);
    expect(outcomes[1]).toBeUndefined();
    expect(rows.requests.map((r) => r.outcome)).toEqual(['accepted', 'rejected', 'accepted']);
    expect(rows.raws.map((r) => r.body === null)).toEqual([true, false, true]);
  });

  // The reference decides one item at a time against a store updated after each; the batch is
  // decided from one set of lookups. Small quotas, few keys and clocks that step back make the
  // batch's own accepts matter; stored launches precede the batch.
  it('decides a batch as deciding its items one by one would', () => {
    const limits = [
      { periodMs: 30, quota: 1 },
      { periodMs: 50, quota: 2 },
      { periodMs: 100, quota: 4 },
      { periodMs: 100, quota: 9 },
    ];
    const item = fc.record({
      trigger: fc.constantFrom('a', 'b'),
      atMs: fc.integer({ min: 100, max: 200 }),
      keys: fc.option(fc.uniqueArray(fc.constantFrom('k1', 'k2', 'k3'), { minLength: 1, maxLength: 2 }), { nil: undefined }),
      windowMs: fc.constantFrom(5, 40, 1000),
      limits: fc.subarray(limits),
    });
    const stored = fc.array(fc.record({ trigger: fc.constantFrom('a', 'b'), atMs: fc.integer({ min: 0, max: 199 }), key: fc.option(fc.constantFrom('k1', 'k2', 'k3'), { nil: undefined }) }), { maxLength: 15 });
    fc.assert(
      fc.property(stored, fc.array(item, { minLength: 1, maxLength: 12 }), (history, batch) => {
        const build = (): Model => {
          const model = empty();
          history.forEach((h, i) => {
            model.runs.push({ triggerId: h.trigger, atMs: h.atMs });
            if (h.key) model.dedupe.set(`${h.trigger}\0${h.key}`, { runId: `old-${i}`, expiresAtMs: h.atMs + 60 });
          });
          return model;
        };
        const items = batch.map((b) => accept(b.trigger, b.atMs, { keys: b.keys, windowMs: b.windowMs, limits: b.limits }));
        const sequential = build();
        const expected = items.map((i) => acceptOne(sequential, (i as { input: AcceptRequest }).input));
        const batched = build();
        const { outcomes, rows } = decide(batched, items);
        expect(outcomes).toEqual(expected);
        // Writing the rows leaves the store as the one-by-one decisions did.
        for (const run of rows.runs) batched.runs.push({ triggerId: run.triggerId, atMs: run.acceptedAtMs });
        for (const row of rows.dedupe) batched.dedupe.set(`${row.triggerId}\0${row.key}`, { runId: row.runId, expiresAtMs: row.expiresAtMs });
        expect(batched.runs).toEqual(sequential.runs);
        expect(batched.dedupe).toEqual(sequential.dedupe);
        expect(rows.jobs.map((j) => j.runId)).toEqual(rows.runs.map((r) => r.runId));
      }),
      { numRuns: 2000 },
    );
  });
});

/** A store as far as batches matter: its launches, dedupe rows and batches, updated by the rows a decision writes. */
interface BatchModel {
  runs: Array<{ triggerId: string; atMs: number; runId: string; batchId: string | null }>;
  dedupe: Map<string, { runId: string; expiresAtMs: number }>;
  batches: Map<string, BatchRecord>;
  items: Array<{ batchId: string; position: number; requestId: string }>;
}

function answerBatches(model: BatchModel, lookups: AcceptLookups): AcceptFacts {
  const base = answer({ runs: model.runs, dedupe: model.dedupe }, lookups);
  const open = lookups.batches.keys.flatMap((key, i) => {
    // As the stores' SQL (shared-sql.ts takesMore): the newest batch of the key that still takes deliveries.
    const found = [...model.batches.values()]
      .filter((b) => b.triggerId === lookups.batches.triggerIds[i] && b.key === key && b.state === 'open' && b.closeReason === undefined && b.items < b.maxItems)
      .sort((x, y) => y.openedAtMs - x.openedAtMs);
    return found.slice(0, 1);
  });
  const byId = lookups.batches.ids.flatMap((id) => (model.batches.has(id) ? [model.batches.get(id)!] : []));
  return { ...base, batches: [...open, ...byId] };
}

function apply(model: BatchModel, rows: AcceptRows): void {
  for (const run of rows.runs) model.runs.push({ triggerId: run.triggerId, atMs: run.acceptedAtMs, runId: run.runId, batchId: run.batchId });
  for (const row of rows.dedupe) model.dedupe.set(`${row.triggerId}\0${row.key}`, { runId: row.runId, expiresAtMs: row.expiresAtMs });
  for (const batch of rows.batches) model.batches.set(batch.batchId, batch);
  for (const item of rows.batchItems) model.items.push({ batchId: item.batchId, position: item.position, requestId: item.requestId });
}

describe('deciding a batch with batched deliveries and batch closes (#17)', () => {
  // Joins, closes and plain accepts mixed in one group commit decide as they would one by one
  // (max_items and max_bytes small enough to fill and seal batches):
  // the commit's own joins fill and extend batches, its closes see them, and a close's launch
  // counts against the limits of the accepts after it.
  it('decides joins and closes together as one by one', () => {
    const limit = { periodMs: 100, quota: 2 };
    const step = fc.oneof(
      fc.record({ kind: fc.constant('join' as const), trigger: fc.constantFrom('a', 'b'), key: fc.constantFrom('x', 'y'), dt: fc.integer({ min: 0, max: 40 }), dedupe: fc.option(fc.constantFrom('k1', 'k2', 'k3'), { nil: undefined }), limited: fc.boolean() }),
      fc.record({ kind: fc.constant('accept' as const), trigger: fc.constantFrom('a', 'b'), dt: fc.integer({ min: 0, max: 40 }), limited: fc.boolean() }),
      fc.record({ kind: fc.constant('close' as const), which: fc.nat(), dt: fc.integer({ min: 0, max: 40 }), manual: fc.boolean(), limited: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 7 }), (steps, maxItems, maxBytes) => {
        // Batch ids a close may name: those the steps' joins may open (plus one that never exists).
        const known: string[] = ['never'];
        let at = 1000;
        let n = 0;
        const items: Batched[] = steps.map((s) => {
          at += s.dt;
          n++;
          if (s.kind === 'close') {
            const batchId = known[s.which % known.length]!;
            return { kind: 'close', close: { batchId, triggerId: batchId.split('/')[0] ?? 'a', nowMs: at, reason: s.manual ? 'manual' : 'due', rateLimits: s.limited ? [limit] : [] } };
          }
          const made = accept(s.trigger, at, { keys: s.kind === 'join' && s.dedupe ? [s.dedupe] : undefined, limits: s.limited ? [limit] : [] }) as { kind: 'accept'; input: AcceptRequest };
          if (s.kind === 'accept') return made;
          const newBatchId = `${s.trigger}/batch-${n}`;
          known.push(newBatchId);
          return { kind: 'accept', input: { ...made.input, batch: { key: s.key, newBatchId, windowMs: 60, quietMs: 25, maxItems, maxBytes } } };
        });
        const fresh = (): BatchModel => ({ runs: [], dedupe: new Map(), batches: new Map(), items: [] });
        const sequential = fresh();
        const expected = items.map((item) => {
          const lookups = planLookups([item]);
          const { outcomes, rows } = decideBatch([item], lookups, answerBatches(sequential, lookups));
          apply(sequential, rows);
          return outcomes[0];
        });
        const together = fresh();
        const lookups = planLookups(items);
        const { outcomes, rows } = decideBatch(items, lookups, answerBatches(together, lookups));
        apply(together, rows);
        expect(outcomes).toEqual(expected);
        expect(together.runs).toEqual(sequential.runs);
        expect(together.batches).toEqual(sequential.batches);
        expect(together.items).toEqual(sequential.items);
        // Every batch's items are 1..N in arrival order, and a launched batch launched once.
        for (const batch of together.batches.values()) {
          expect(together.items.filter((i) => i.batchId === batch.batchId).map((i) => i.position)).toEqual(Array.from({ length: batch.items }, (_, i) => i + 1));
          expect(batch.items).toBeLessThanOrEqual(batch.maxItems);
          // Each payload is 2 bytes ("{}"): a batch holds at least one, and never more bytes than allowed otherwise.
          expect(batch.bytes).toBe(batch.items * 2);
          if (batch.items > 1) expect(batch.bytes).toBeLessThanOrEqual(batch.maxBytes);
          expect(together.runs.filter((r) => r.batchId === batch.batchId)).toHaveLength(batch.state === 'launched' ? 1 : 0);
        }
      }),
      { numRuns: 1500 },
    );
  });
});
