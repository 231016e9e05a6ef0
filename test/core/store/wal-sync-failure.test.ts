/**
 * After a failed fdatasync of the WAL nothing more is acknowledged (wal-sync.ts says so): also
 * not the commits queued behind the failed flush, which a second fsync would report as flushed.
 * The store answers a large body only once the WAL and the payload log are both flushed, so each
 * of the two must hold this (payload-log-faults.test.ts has the log's case).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWalSync } from '../../../core/store/sqlite/wal-sync.js';

describe('WAL sync after a failed flush', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hooklaunch-wal-failure-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('fails the durable() calls queued behind a failed flush instead of flushing again', async () => {
    const wal = join(dir, 'state.db-wal');
    writeFileSync(wal, '');
    const flushes: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
    const sync = openWalSync(wal, { fdatasync: () => new Promise<void>((resolve, reject) => flushes.push({ resolve, reject })), statEveryMs: Number.POSITIVE_INFINITY });
    try {
      const first = sync.durable();
      // A commit made while the first flush runs: it waits for the next round.
      const queued = sync.durable();
      queued.catch(() => undefined);
      flushes[0]!.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
      await expect(first).rejects.toThrow('EIO');
      await new Promise((resolve) => setTimeout(resolve, 10));
      // Linux reports a second fsync after a failed one as a success over the pages it dropped.
      for (const flush of flushes.slice(1)) flush.resolve();
      await expect(queued).rejects.toThrow(/EIO|could not flush/);
    } finally {
      await sync.close();
    }
  });
});
