import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../../core/store/sqlite/sqlite-store.js';
import { PAYLOAD_LOG_MIN_BYTES } from '../../../core/store/sqlite/payload-log.js';
import type { AcceptRequest, Store } from '../../../core/store/store.js';

const TRIGGER = 'trigger-under-test-0001';
let seq = 0;
function acceptRequest(payloadBytes = 2): AcceptRequest {
  seq++;
  return {
    request: { requestId: `req-${seq}`, triggerId: TRIGGER, receivedAtMs: 1_000_000, method: 'POST', path: '/', remoteAddress: '127.0.0.1', sizeBytes: payloadBytes, bodySha256: 'x', headers: {} },
    runId: `run-${seq}`,
    payload: Buffer.alloc(payloadBytes, 0x61),
    contentType: 'application/json',
    actions: [{ type: 'fetch-repository' }],
    rateLimits: [],
  };
}

/** Yields to the event loop until the immediates and I/O of a few turns have run. */
/** The largest body kept in its row: larger ones go to the payload log, and these tests are about the WAL. */
const INLINE_BYTES = PAYLOAD_LOG_MIN_BYTES - 1;

const turns = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

/**
 * An fdatasync the test controls: each call records what a reader of the file could see when
 * the flush began (so what it covers), and stays pending until released.
 */
function heldFsync(observe: () => unknown) {
  const calls: Array<{ saw: unknown; release: () => void }> = [];
  let auto = false;
  let called: (() => void) | undefined;
  return {
    calls,
    set auto(value: boolean) {
      auto = value;
    },
    fdatasync: (_fd: number) =>
      new Promise<void>((resolve) => {
        if (auto) return resolve();
        calls.push({ saw: observe(), release: resolve });
        called?.();
      }),
    async nextCall(count: number): Promise<void> {
      while (calls.length < count) await new Promise<void>((resolve) => (called = resolve));
    },
  };
}

describe('SQLite store durability', () => {
  let dir: string;
  let path: string;
  let store: Store | undefined;
  let peek: Database.Database | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hooklaunch-durable-'));
    path = join(dir, 'state.db');
  });
  afterEach(async () => {
    peek?.close();
    peek = undefined;
    await store?.close();
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  const visibleRequests = (): string[] => {
    peek ??= new Database(path, { readonly: true });
    return (peek.prepare('SELECT request_id FROM requests ORDER BY seq').all() as Array<{ request_id: string }>).map((r) => r.request_id);
  };

  it('answers an accept only after an fdatasync that began after its commit, even when a flush was already under way', async () => {
    const fsync = heldFsync(visibleRequests);
    store = await openSqliteStore(path, { fdatasync: fsync.fdatasync });
    const first = acceptRequest();
    const settled: string[] = [];
    const firstDone = store.accept(first).then(() => settled.push('first'));
    await fsync.nextCall(1);
    // The flush began after the commit: it covers the request.
    expect(fsync.calls[0]!.saw).toEqual([first.request.requestId]);
    await turns();
    expect(settled).toEqual([]);

    // Submitted while the first flush runs: that flush cannot cover it, so it waits for the next one.
    const second = acceptRequest();
    const secondDone = store.accept(second).then(() => settled.push('second'));
    await turns();
    expect(fsync.calls).toHaveLength(1);
    fsync.calls[0]!.release();
    await firstDone;
    await fsync.nextCall(2);
    expect(settled).toEqual(['first']);
    expect(fsync.calls[1]!.saw).toContain(second.request.requestId);
    await turns();
    expect(settled).toEqual(['first']);
    fsync.calls[1]!.release();
    await secondDone;
    expect(settled).toEqual(['first', 'second']);
    fsync.auto = true;
  });

  it('returns from completeJob only once an fdatasync begun after its update is done', async () => {
    const jobStates = (): string[] => {
      peek ??= new Database(path, { readonly: true });
      return (peek.prepare('SELECT state FROM jobs').all() as Array<{ state: string }>).map((r) => r.state);
    };
    const fsync = heldFsync(jobStates);
    store = await openSqliteStore(path, { fdatasync: fsync.fdatasync });
    fsync.auto = true;
    await store.accept(acceptRequest());
    const [job] = await store.claimJobs(1_000_001, 10, 60_000);
    fsync.auto = false;
    let done = false;
    const completing = store.completeJob(job!.id, { kind: 'fetch', commits: [], errors: [] }).then(() => (done = true));
    await fsync.nextCall(1);
    expect(fsync.calls[0]!.saw).toEqual(['done']);
    await turns();
    expect(done).toBe(false);
    fsync.calls[0]!.release();
    await completing;
    expect(done).toBe(true);
    fsync.auto = true;
  });

  const walBytes = (): number => statSync(`${path}-wal`).size;
  const dbBytes = (): number => statSync(path).size;
  const acceptRounds = async (open: Store, rounds: number, perRound: number, payloadBytes: number, each?: () => void): Promise<void> => {
    for (let round = 0; round < rounds; round++) {
      await Promise.all(Array.from({ length: perRound }, () => open.accept(acceptRequest(payloadBytes))));
      each?.();
    }
  };

  it('never checkpoints on the writer connection: without the worker the WAL grows past SQLite automatic threshold', async () => {
    // SQLite's default autocheckpoint copies the WAL back at 1000 pages (4 MB) and then reuses the file.
    store = await openSqliteStore(path, { checkpointIntervalMs: 3_600_000 });
    await store.takeOver();
    await acceptRounds(store, 100, 50, INLINE_BYTES);
    expect(walBytes()).toBeGreaterThan(10 * 1024 * 1024);
    expect(dbBytes()).toBeLessThan(1024 * 1024);
  });

  it('leaves checkpoints to the serving process: a store opened beside it (a CLI command) never runs one', async () => {
    store = await openSqliteStore(path, { checkpointIntervalMs: 1, walMaxBytes: 1024 * 1024, walCheckEveryMs: 0 });
    await acceptRounds(store, 30, 50, 8192);
    expect(dbBytes()).toBeLessThan(1024 * 1024);
    expect(walBytes()).toBeGreaterThan(10 * 1024 * 1024);
  });

  it('keeps the WAL under its bound by checkpointing from the worker while accepts go on', async () => {
    const bound = 2 * 1024 * 1024;
    store = await openSqliteStore(path, { checkpointIntervalMs: 3_600_000, walMaxBytes: bound, walCheckEveryMs: 0 });
    await store.takeOver();
    let largest = 0;
    // 10 MB of payloads, in rounds of 100 KB.
    await acceptRounds(store, 100, 50, INLINE_BYTES, () => (largest = Math.max(largest, walBytes())));
    // The bound, plus what one round of commits adds before its flush reports the size.
    expect(largest).toBeLessThan(bound + 1024 * 1024);
    expect(dbBytes()).toBeGreaterThan(8 * 1024 * 1024);
    expect(await store.listLog({ limit: 6000 })).toHaveLength(5000);
  });

  it('checkpoints in the background (passive rounds, then a short RESTART with commits held back) so the WAL stays near its size limit', async () => {
    const open = await openSqliteStore(path, { checkpointIntervalMs: 1 });
    store = open;
    await open.takeOver();
    let largest = 0;
    // 50 senders that each send again as soon as they are answered: commits follow each other
    // with no pause for a passive checkpoint to finish in, as under a load generator.
    let left = 20_000;
    const sender = async (): Promise<void> => {
      while (left-- > 0) {
        await open.accept(acceptRequest(INLINE_BYTES));
        largest = Math.max(largest, walBytes());
      }
    };
    await Promise.all(Array.from({ length: 50 }, sender));
    expect(dbBytes()).toBeGreaterThan(40 * 1024 * 1024);
    // 50 MB went through a WAL started over at about 16 MiB (with room for a worker the machine's
    // load keeps waiting: the bound is the point, not the exact size).
    expect(largest).toBeLessThan(32 * 1024 * 1024);
  });

  it('purges a large store in short transactions, each made durable before the next', async () => {
    let flushes = 0;
    store = await openSqliteStore(path, { fdatasync: async () => void flushes++ });
    const open = store;
    await Promise.all(Array.from({ length: 1200 }, () => open.accept({ ...acceptRequest(), actions: [] })));
    const before = flushes;
    const purged = await open.purge(2_000_000);
    expect(purged).toMatchObject({ runs: 1200, requests: 1200 });
    // 1200 runs, then 1200 requests, 256 at a time: nine transactions, the event loop free between them.
    expect(flushes - before).toBeGreaterThanOrEqual(9);
    expect(await open.listLog({ limit: 10 })).toEqual([]);
  });
});
