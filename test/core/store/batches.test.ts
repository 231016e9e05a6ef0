/**
 * Batches in the store (issue #17), on every store: deliveries join their key's open batch in
 * arrival order, a batch closes (launches its run and jobs) exactly once, when full, at its window
 * or after its quiet time, a rate limit holds it instead of dropping its deliveries, and its run's
 * payload is batch.jsonl + index.json. Times are passed in: no sleeps.
 */
import { STORES } from '../../helpers/stores.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AcceptRequest, BatchJoin, Store } from '../../../core/store/store.js';

const TRIGGER = 'batched-trigger-000001';
let seq = 0;

function delivery(atMs: number, body: unknown, join: Partial<BatchJoin> = {}, overrides: Partial<AcceptRequest> = {}): AcceptRequest {
  seq++;
  return {
    request: { requestId: `req-${seq}`, triggerId: TRIGGER, receivedAtMs: atMs, method: 'POST', path: '/', remoteAddress: '127.0.0.1', sizeBytes: 2, bodySha256: 'x', headers: {} },
    runId: `run-${seq}`,
    payload: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body, null, 2)),
    contentType: 'application/json',
    actions: [{ type: 'run-pipeline', pipeline: 'train', title: 'train', payloadInput: 'prepare.annotations', payloadFilename: 'batch.jsonl', parameters: {}, batched: true }],
    rateLimits: [],
    batch: { key: 'cars', newBatchId: `batch-${seq}`, windowMs: 600_000, quietMs: 120_000, maxItems: 500, maxBytes: 1_000_000, ...join },
    ...overrides,
  };
}


describe.each(STORES)('$name store: batches', (factory) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async (context) => {
    if (factory.skip) return context.skip(factory.skip);
    seq = 0;
    ({ store, cleanup } = await factory.open());
  });
  afterEach(async () => {
    if (factory.skip) return;
    await store.close();
    await cleanup();
  });

  it('joins the batch that takes more, not a full or sealed one of the same key opened in the same millisecond', async () => {
    // Each in a commit of its own, all at one time (bodies of 1 and 4 bytes, at most 2 items and 4 bytes
    // a batch): batch-1 fills, batch-3 opens and is sealed by the 4-byte body, which opens batch-4, which
    // the next body seals in turn; each delivery must find the one batch of the key that takes more.
    const join = { maxItems: 2, maxBytes: 4 };
    const outcomes = [];
    for (const body of ['1', '2', '3', '4444', '5', '6']) outcomes.push(await store.accept(delivery(1_000, body, join)));
    expect(outcomes.map((o) => o.kind === 'batched' && [o.batchId, o.position])).toEqual([
      ['batch-1', 1],
      ['batch-1', 2],
      ['batch-3', 1],
      ['batch-4', 1],
      ['batch-5', 1],
      ['batch-5', 2],
    ]);
    // The sealed and full ones are due at once; the last is full too.
    expect((await store.dueBatches(1_000, 10)).map((b) => [b.batchId, b.items, b.closeReason ?? null]).sort()).toEqual([
      ['batch-1', 2, null],
      ['batch-3', 1, 'max_bytes'],
      ['batch-4', 1, 'max_bytes'],
      ['batch-5', 2, null],
    ]);
  });

  it('gathers deliveries of one key in arrival order, keys apart, and launches each batch once with its payload as JSON Lines + index', async () => {
    const first = await store.accept(delivery(1_000, { item: 1 }));
    const outcomes = await Promise.all([delivery(2_000, { item: 2 }), delivery(3_000, 'not json\nat all', {}, { contentType: 'text/plain' }), delivery(4_000, { item: 'x' }, { key: 'bikes' })].map((d) => store.accept(d)));
    expect(first).toMatchObject({ kind: 'batched', batchId: 'batch-1', runId: 'run-1', position: 1, closesAtMs: 121_000 });
    expect(outcomes.map((o) => o.kind === 'batched' && [o.batchId, o.position])).toEqual([
      ['batch-1', 2],
      ['batch-1', 3],
      [`batch-${seq}`, 1],
    ]);
    // Nothing is launched yet: no run, no job.
    expect(await store.getRun('run-1')).toBeUndefined();
    expect(await store.claimJobs(10_000_000, 10, 60_000)).toEqual([]);
    const open = await store.listBatches({ triggerId: TRIGGER, states: ['open'], limit: 10 });
    expect(open.map((b) => [b.key, b.items, b.closesAtMs])).toEqual([
      ['bikes', 1, 124_000],
      ['cars', 3, 123_000],
    ]);
    expect(await store.nextBatchDueMs()).toBe(123_000);
    expect((await store.batchItems('batch-1')).map((i) => [i.position, i.requestId, i.contentType, i.sizeBytes])).toEqual([
      [1, 'req-1', 'application/json', JSON.stringify({ item: 1 }, null, 2).length],
      [2, 'req-2', 'application/json', JSON.stringify({ item: 2 }, null, 2).length],
      [3, 'req-3', 'text/plain', 15],
    ]);
    expect((await store.dueBatches(122_999, 10)).map((b) => b.key)).toEqual([]);

    const due = await store.dueBatches(123_000, 10);
    expect(due.map((b) => b.batchId)).toEqual(['batch-1']);
    const closing = { batchId: 'batch-1', triggerId: TRIGGER, nowMs: 123_000, reason: 'due' as const, rateLimits: [] };
    // Two closers at once (two instances): one launches, the other finds it launched.
    const [a, b] = await Promise.all([store.closeBatch(closing), store.closeBatch(closing)]);
    expect([a.kind, b.kind].sort()).toEqual(['launched', 'not_open']);
    expect([a, b].find((o) => o.kind === 'launched')).toEqual({ kind: 'launched', runId: 'run-1', items: 3, reason: 'quiet' });
    expect(await store.closeBatch(closing)).toEqual({ kind: 'not_open', state: 'launched' });

    const jobs = await store.claimJobs(123_000, 10, 60_000);
    expect(jobs.map((j) => [j.runId, j.spec.type])).toEqual([['run-1', 'run-pipeline']]);
    const payload = (await store.getPayload('run-1'))!;
    expect(payload.contentType).toBe('application/x-ndjson');
    expect(payload.body.toString()).toBe('{"item":1}\n{"item":2}\n"not json\\nat all"\n');
    const index = JSON.parse(payload.index!.toString());
    // Never the trigger id: the secret part of the webhook URL must not reach the launched code.
    expect(index.trigger_id).toBeUndefined();
    expect(payload.index!.toString()).not.toContain(TRIGGER);
    expect(index).toMatchObject({ batch_id: 'batch-1', key: 'cars', run_id: 'run-1', close_reason: 'quiet', opened_at: new Date(1_000).toISOString(), closed_at: new Date(123_000).toISOString() });
    expect(index.items.map((i: { position: number; request_id: string; content_type: string }) => [i.position, i.request_id, i.content_type])).toEqual([
      [1, 'req-1', 'application/json'],
      [2, 'req-2', 'application/json'],
      [3, 'req-3', 'text/plain'],
    ]);
    expect((await store.batchOfRun('run-1'))).toMatchObject({ state: 'launched', items: 3, closeReason: 'quiet', closedAtMs: 123_000 });
    // The trigger log says batched, with the batch's run; a delivery's own body is its batch item.
    const log = await store.listLog({ triggerId: TRIGGER, limit: 10 });
    expect(log.filter((e) => e.outcome === 'batched')).toHaveLength(4);
    expect((await store.getRequest('req-3'))!.raw.body!.toString()).toBe('not json\nat all');
  });

  it('closes a batch at max_items: the next delivery opens a new one, and the full one is due at once', async () => {
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push(await store.accept(delivery(1_000 + i, { i }, { maxItems: 3 })));
    expect(outcomes.map((o) => o.kind === 'batched' && o.position)).toEqual([1, 2, 3, 1, 2]);
    const full = await store.dueBatches(1_010, 10);
    expect(full.map((b) => [b.items, b.maxItems])).toEqual([[3, 3]]);
    expect(await store.closeBatch({ batchId: full[0]!.batchId, triggerId: TRIGGER, nowMs: 1_010, reason: 'due', rateLimits: [] })).toMatchObject({ kind: 'launched', items: 3, reason: 'max_items' });
  });

  it('seals a batch a delivery would take past max_bytes: it is due at once, and the delivery opens the next', async () => {
    const body = { pad: 'x'.repeat(20) }; // 45 bytes pretty-printed
    const size = Buffer.byteLength(JSON.stringify(body, null, 2));
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push(await store.accept(delivery(1_000 + i, body, { maxBytes: size * 2 })));
    expect(outcomes.map((o) => o.kind === 'batched' && [o.batchId, o.position])).toEqual([
      ['batch-1', 1],
      ['batch-1', 2],
      ['batch-3', 1],
    ]);
    expect(await store.getBatch('batch-1')).toMatchObject({ state: 'open', items: 2, bytes: size * 2, closesAtMs: 1_002, closeReason: 'max_bytes' });
    expect((await store.dueBatches(1_002, 10)).map((b) => b.batchId)).toEqual(['batch-1']);
    expect(await store.closeBatch({ batchId: 'batch-1', triggerId: TRIGGER, nowMs: 1_002, reason: 'due', rateLimits: [] })).toMatchObject({ kind: 'launched', items: 2, reason: 'max_bytes' });
  });

  it('takes no delivery into a batch past its window, and extends the quiet time with each one', async () => {
    // Window 600 s, quiet 120 s: deliveries every 100 s keep it open until the window ends.
    const times = [0, 100_000, 200_000, 300_000, 400_000, 500_000, 599_999, 600_000];
    const outcomes = [];
    for (const at of times) outcomes.push(await store.accept(delivery(at, { at })));
    expect(outcomes.map((o) => o.kind === 'batched' && o.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 1]);
    expect(outcomes[6]).toMatchObject({ closesAtMs: 600_000 });
    // A closer that read the batch before the last delivery finds it not due yet.
    const [open] = await store.listBatches({ triggerId: TRIGGER, states: ['open'], limit: 1 });
    expect(open!.closesAtMs).toBe(720_000);
    expect(await store.closeBatch({ batchId: open!.batchId, triggerId: TRIGGER, nowMs: 700_000, reason: 'due', rateLimits: [] })).toEqual({ kind: 'not_due' });
    const first = outcomes[0]!;
    expect(await store.closeBatch({ batchId: first.kind === 'batched' ? first.batchId : '', triggerId: TRIGGER, nowMs: 600_001, reason: 'due', rateLimits: [] })).toMatchObject({ kind: 'launched', items: 7, reason: 'window' });
  });

  it('holds a batch a rate limit forbids instead of dropping it, and launches it when the window frees', async () => {
    const limit = { periodMs: 60_000, quota: 1 };
    const plain = await store.accept({ ...delivery(0, {}), batch: undefined, rateLimits: [limit] });
    expect(plain.kind).toBe('accepted');
    const joined = await store.accept(delivery(1_000, { a: 1 }, { quietMs: 1_000, windowMs: 10_000 }));
    const batchId = joined.kind === 'batched' ? joined.batchId : '';
    const held = await store.closeBatch({ batchId, triggerId: TRIGGER, nowMs: 2_000, reason: 'due', rateLimits: [limit] });
    expect(held).toMatchObject({ kind: 'held', untilMs: 60_000 });
    expect(held.kind === 'held' && held.message).toMatch(/rate limit of 1 launches per 60 s reached; the batch launches at 1970-01-01T00:01:00.000Z/);
    expect(await store.getBatch(batchId)).toMatchObject({ state: 'held', closesAtMs: 60_000, closeReason: 'quiet' });
    // Held: closed to new deliveries, which open a batch of their own.
    const next = await store.accept(delivery(3_000, { b: 1 }, { quietMs: 1_000, windowMs: 10_000 }));
    expect(next.kind === 'batched' && next.batchId).not.toBe(batchId);
    expect((await store.dueBatches(59_999, 10)).map((b) => b.batchId)).not.toContain(batchId);
    expect(await store.closeBatch({ batchId, triggerId: TRIGGER, nowMs: 60_000, reason: 'due', rateLimits: [limit] })).toMatchObject({ kind: 'launched', reason: 'quiet' });
  });

  it('does not let a redelivered item join twice', async () => {
    const dedupe = { keys: [{ key: 'delivery-7', what: 'delivery id' }], windowMs: 86_400_000 };
    const first = await store.accept(delivery(1_000, { n: 7 }, {}, { dedupe }));
    const again = await store.accept(delivery(2_000, { n: 7 }, {}, { dedupe }));
    expect(again).toEqual({ kind: 'duplicate', runId: first.kind === 'batched' ? first.runId : '', what: 'delivery id' });
    expect((await store.listBatches({ limit: 5 }))[0]!.items).toBe(1);
  });

  it('closes a batch early by hand, and never purges one that has not launched', async () => {
    const joined = await store.accept(delivery(1_000, { a: 1 }));
    const batchId = joined.kind === 'batched' ? joined.batchId : '';
    await store.purge(10_000_000);
    expect(await store.getBatch(batchId)).toMatchObject({ state: 'open', items: 1 });
    expect((await store.listLog({ limit: 5 })).map((e) => e.outcome)).toEqual(['batched']);
    expect(await store.closeBatch({ batchId, triggerId: TRIGGER, nowMs: 2_000, reason: 'manual', rateLimits: [] })).toMatchObject({ kind: 'launched', reason: 'manual', items: 1 });
  });
});
