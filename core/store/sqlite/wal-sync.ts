/**
 * Makes what SQLite committed into its write-ahead log durable, off the event loop: an
 * `fdatasync` of the `-wal` file on libuv's threadpool, in shared rounds (flush-rounds.ts).
 *
 * Why a sync that starts after a commit makes that commit durable: with synchronous=NORMAL a
 * commit is complete once its frames are written into the WAL (the kernel's page cache); an
 * fsync acts on the inode, so flushing the WAL through our own descriptor flushes SQLite's
 * writes too. See sqlite-store.ts for the whole argument.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { nodeFdatasync, STAT_EVERY_MS, stillTheFile, syncDir } from './durable-file.js';
import { flushRounds } from './flush-rounds.js';

export interface WalSync {
  /** Resolves after an fdatasync of the WAL that started after this call returned. */
  durable(): Promise<void>;
  /** Waits for the syncs under way, then closes the descriptor. */
  close(): Promise<void>;
}

export interface WalSyncOptions {
  /** The flush itself; tests inject one to watch the order of commits and syncs. */
  readonly fdatasync?: ((fd: number) => Promise<void>) | undefined;
  /** Told the WAL's size after a sync, every STAT_EVERY_MS at most (what the checkpoint backstop decides on). */
  readonly onSynced?: ((walBytes: number) => void) | undefined;
  readonly statEveryMs?: number | undefined;
}

/**
 * Opens the WAL (it must exist: the caller has written to the database once) and makes its
 * directory entry durable, since a file whose name is not on disk is lost with its data.
 */
export function openWalSync(walPath: string, options: WalSyncOptions = {}): WalSync {
  const flush = options.fdatasync ?? nodeFdatasync;
  const fd = openSync(walPath, 'r+');
  const inode = fstatSync(fd).ino;
  syncDir(dirname(walPath));

  // SQLite's writer keeps the descriptor it opened the WAL with until it closes, and writes every
  // commit through it. So the file at walPath must stay the one our descriptor flushes: should it
  // be gone or another (deleted by another process's SQLite taking itself for the last connection,
  // or by hand), the commits go to a file no restart will read, and a flush of whatever file now
  // has the name proves nothing. That fails the store: nothing more is acknowledged. The check runs
  // beside the flush, and at most every STAT_EVERY_MS: a stat per round costs the event loop more
  // than the flush's own call.
  let lastStatMs = -Infinity;
  const syncOnce = async (): Promise<void> => {
    const now = performance.now();
    if (now - lastStatMs < (options.statEveryMs ?? STAT_EVERY_MS)) return flush(fd);
    lastStatMs = now;
    const [current] = await Promise.all([stillTheFile(walPath, inode, 'the write-ahead log'), flush(fd)]);
    options.onSynced?.(current.size);
  };

  const rounds = flushRounds(syncOnce, (cause) => new Error('the store could not flush its write-ahead log; restart hooklaunch', { cause }));

  return {
    durable: () => rounds.after(),
    async close() {
      await rounds.settled();
      closeSync(fd);
    },
  };
}
