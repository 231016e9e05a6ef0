/**
 * Accepts with bodies of a chosen size for the payload-log tests (core/store/sqlite/payload-log.ts):
 * each body distinct (its first bytes are its number), so a body read back from the wrong place
 * is caught.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { openSqliteStore, type SqliteStoreOptions } from '../../core/store/sqlite/sqlite-store.js';
import type { AcceptRequest, Store } from '../../core/store/store.js';

export const PAYLOAD_TRIGGER = 'trigger-under-test-0001';
/** Large enough for the payload log (PAYLOAD_LOG_MIN_BYTES is 2 KiB). */
export const LARGE = 8 * 1024;

let seq = 0;

export function payloadAccept(bytes: number, dedupeKey?: string): AcceptRequest {
  seq++;
  const payload = Buffer.alloc(bytes, 0x61);
  payload.write(`${seq}:`, 'ascii');
  return {
    request: { requestId: `req-${seq}`, triggerId: PAYLOAD_TRIGGER, receivedAtMs: 1_000_000 + seq, method: 'POST', path: '/', remoteAddress: '127.0.0.1', sizeBytes: bytes, bodySha256: 'x', headers: {}, raw: { target: '/', headers: {} } },
    runId: `run-${seq}`,
    payload,
    contentType: 'application/json',
    actions: [{ type: 'fetch-repository' }],
    rateLimits: [],
    ...(dedupeKey !== undefined && { dedupe: { keys: [{ key: dedupeKey, what: 'delivery id' }], windowMs: 3_600_000 } }),
  };
}

/**
 * A SQLite store in a temp folder for each test of the calling `describe`: `path()` is its
 * database file, `serving()` opens it and takes it over (as `serve` does); closed and removed after.
 */
export function servingStoreEachTest(prefix: string): { path: () => string; serving: (options?: SqliteStoreOptions) => Promise<Store>; forget: () => void } {
  let dir = '';
  let store: Store | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    await store?.close().catch(() => undefined);
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    path: () => join(dir, 'state.db'),
    serving: async (options = {}) => {
      store = await openSqliteStore(join(dir, 'state.db'), options);
      await store.takeOver();
      return store;
    },
    // The test closed the store itself: nothing to close after it.
    forget: () => {
      store = undefined;
    },
  };
}
