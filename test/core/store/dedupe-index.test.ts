/**
 * The SQLite store finds dedupe rows by a 30-bit hash of (trigger, key) held in memory
 * (core/store/sqlite/dedupe-index.ts): keys that share a hash must still be told apart, through
 * the store as through the index, and expired rows must leave both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DedupeIndex, hashOf } from '../../../core/store/sqlite/dedupe-index.js';
import { openSqliteStore } from '../../../core/store/sqlite/sqlite-store.js';
import type { AcceptOutcome, AcceptRequest, Store } from '../../../core/store/store.js';

const TRIGGER = 'trigger-under-test-0001';

/** Two keys of TRIGGER with the same hash (about 40,000 tries: the birthday bound of 2^30). */
function collidingKeys(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const key = `delivery-${i}`;
    const hash = hashOf(TRIGGER, key);
    const other = seen.get(hash);
    if (other !== undefined) return [other, key];
    seen.set(hash, key);
  }
}

/** The run id of an accept that launched (fails the test on any other outcome). */
function launched(outcome: AcceptOutcome): string {
  if (outcome.kind !== 'accepted') throw new Error(`expected an accepted delivery, got ${outcome.kind}`);
  return outcome.runId;
}

let seq = 0;
function withKey(key: string, atMs: number, windowMs = 60_000): AcceptRequest {
  seq++;
  return {
    request: { requestId: `req-${seq}`, triggerId: TRIGGER, receivedAtMs: atMs, method: 'POST', path: '/', remoteAddress: '127.0.0.1', sizeBytes: 2, bodySha256: 'x', headers: {} },
    runId: `run-${seq}`,
    payload: Buffer.from('{}'),
    contentType: 'application/json',
    actions: [],
    rateLimits: [],
    dedupe: { keys: [{ key, what: 'delivery id' }], windowMs },
  };
}

describe('dedupe index', () => {
  it('keeps every row of keys that share a hash, and drops only the one removed', () => {
    const [a, b] = collidingKeys();
    expect(hashOf(TRIGGER, a)).toBe(hashOf(TRIGGER, b));
    const index = new DedupeIndex();
    index.add(TRIGGER, a, 1);
    index.add(TRIGGER, b, 2);
    expect(index.candidates(TRIGGER, a)).toEqual([1, 2]);
    index.remove(TRIGGER, a, 1);
    expect(index.candidates(TRIGGER, b)).toEqual([2]);
    index.remove(TRIGGER, b, 2);
    expect(index.size).toBe(0);
  });
});

describe('SQLite store dedupe through the index', () => {
  let dir: string;
  let store: Store | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hooklaunch-dedupe-'));
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  const serving = async (): Promise<Store> => {
    store = await openSqliteStore(join(dir, 'state.db'));
    await store.takeOver();
    return store;
  };

  it('tells keys with one hash apart, before and after a restart', async () => {
    const [a, b] = collidingKeys();
    let open = await serving();
    const first = launched(await open.accept(withKey(a, 1_000)));
    const second = launched(await open.accept(withKey(b, 1_001)));
    expect(await open.accept(withKey(a, 1_002))).toMatchObject({ kind: 'duplicate', runId: first });
    await open.close();
    open = await serving();
    expect(await open.accept(withKey(b, 1_003))).toMatchObject({ kind: 'duplicate', runId: second });
    expect(await open.accept(withKey(a, 1_004))).toMatchObject({ kind: 'duplicate', runId: first });
  });

  it('forgets a key once its window passed and retention purged it, then takes it as new', async () => {
    const open = await serving();
    const now = Date.now();
    const first = launched(await open.accept(withKey('k', now - 10_000, 1_000)));
    await open.purge(now - 100_000); // purges no run (they are newer), but the expired dedupe rows
    const again = launched(await open.accept(withKey('k', now)));
    expect(again).not.toBe(first);
    expect(await open.accept(withKey('k', now + 1))).toMatchObject({ kind: 'duplicate', runId: again });
  });
});
