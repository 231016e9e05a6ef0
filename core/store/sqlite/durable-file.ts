/**
 * What the SQLite store's two appended files (the WAL, wal-sync.ts; the payload log's segments,
 * payload-log.ts) need to be flushed and trusted: an fdatasync off the event loop, a directory
 * entry made durable, and a check that the file at a name is still the one a descriptor writes to.
 */
import { closeSync, fdatasync, fsyncSync, openSync } from 'node:fs';
import { stat } from 'node:fs/promises';

/** How often a file's identity (and the WAL's size) is looked at: a stat per flush round costs the event loop more than the flush's own call. */
export const STAT_EVERY_MS = 50;

/** fdatasync on libuv's threadpool. */
export const nodeFdatasync = (fd: number): Promise<void> =>
  new Promise((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));

/** Makes a folder's entries durable: a file whose name is not on disk is lost with its data. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Throws unless the file at `path` is still inode `ino`: writes through a kept descriptor go on
 * into a deleted or replaced file, flushed and answered, then gone at the next start. `what`
 * names it in the error ("the write-ahead log").
 */
export async function stillTheFile(path: string, ino: number, what: string): Promise<{ readonly size: number }> {
  const current = await stat(path).catch((error: unknown) => {
    throw new Error(`${what} ${path} was deleted while the store was writing to it`, { cause: error });
  });
  if (current.ino !== ino) throw new Error(`${what} ${path} was replaced by another file while the store was writing to it`);
  return current;
}
