/**
 * Batches a rate limit holds launch oldest first (issue #17; Batches.dueBatches: "oldest first"),
 * on every store. Every batch held while the window is full gets the same retry time, so ordering
 * the due ones by their close time left the ties to the table's row order: on both stores batches
 * opened later launched before older held ones, and under a steady overload an old batch's
 * acknowledged deliveries could wait indefinitely. Times are passed in: no sleeps.
 */
import { STORES } from '../../helpers/stores.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AcceptRequest, Store } from '../../../core/store/store.js';

const TRIGGER = 'batched-trigger-000002';
const LIMIT = { periodMs: 10_000, quota: 1 };

function delivery(n: number, atMs: number): AcceptRequest {
  return {
    request: { requestId: `req-${n}`, triggerId: TRIGGER, receivedAtMs: atMs, method: 'POST', path: '/', remoteAddress: '127.0.0.1', sizeBytes: 2, bodySha256: 'x', headers: {} },
    runId: `run-${n}`,
    payload: Buffer.from(JSON.stringify({ n })),
    contentType: 'application/json',
    actions: [{ type: 'run-execution', step: 'train', title: 'train', payloadInput: 'payload', payloadFilename: 'batch.jsonl', parameters: {}, batched: true }],
    rateLimits: [LIMIT],
    // A key per delivery: one batch each, closing 100 ms after it opened.
    batch: { key: `k${n}`, newBatchId: `batch-${String(n).padStart(3, '0')}`, windowMs: 100, quietMs: undefined, maxItems: 10, maxBytes: 1_000_000 },
  };
}


describe.each(STORES)('$name store: held batches', (factory) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async (context) => {
    if (factory.skip) return context.skip(factory.skip);
    ({ store, cleanup } = await factory.open());
  });
  afterEach(async () => {
    if (factory.skip) return;
    await store.close();
    await cleanup();
  });

  it('launch in the order they opened when the rate limit frees, one per window', async () => {
    let now = 1_000;
    const launched: string[] = [];
    // The closer's pass, as core/triggers/batch-closer.ts makes it.
    const pass = async (): Promise<void> => {
      for (const due of await store.dueBatches(now, 50)) {
        const outcome = await store.closeBatch({ batchId: due.batchId, triggerId: TRIGGER, nowMs: now, reason: 'due', rateLimits: [LIMIT] });
        if (outcome.kind === 'launched') launched.push(due.batchId);
      }
    };
    // 20 batches, one every 150 ms: the first launches, the 19 others are held while the window is full.
    for (let n = 1; n <= 20; n++) {
      expect(await store.accept(delivery(n, now))).toMatchObject({ kind: 'batched', position: 1 });
      now += 150;
      await pass();
    }
    expect(launched).toEqual(['batch-001']);
    for (let window = 0; window < 25; window++) {
      now += LIMIT.periodMs;
      await pass();
    }
    expect(launched).toEqual(Array.from({ length: 20 }, (_, i) => `batch-${String(i + 1).padStart(3, '0')}`));
  });
});
