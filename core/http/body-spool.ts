/**
 * A body's bytes beyond what is kept in memory, written to a private temp file while the body is
 * still unverified (issue #11). One directory per body under the OS temp dir (mkdtemp: mode 0700,
 * unguessable name); `remove` deletes it and is safe to call in every path, any number of times.
 */
import { mkdtemp, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BodySpool {
  write(chunk: Buffer): Promise<void>;
  /** The spooled bytes, in order; the spool is removed afterwards. */
  readAll(): Promise<Buffer>;
  remove(): Promise<void>;
}

export async function createBodySpool(): Promise<BodySpool> {
  const dir = await mkdtemp(join(tmpdir(), 'hooklaunch-body-'));
  const path = join(dir, 'body');
  let file: FileHandle | undefined;
  let removed = false;
  const close = async (): Promise<void> => {
    const open_ = file;
    file = undefined;
    await open_?.close();
  };
  const remove = async (): Promise<void> => {
    if (removed) return;
    removed = true;
    await close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    file = await open(path, 'wx', 0o600);
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    async write(chunk) {
      if (!file) throw new Error('body spool written after it was closed');
      // writeFile on a handle writes the whole chunk at the current position (write() may write part).
      await file.writeFile(chunk);
    },
    async readAll() {
      try {
        await close();
        return await readFile(path);
      } finally {
        await remove();
      }
    },
    remove,
  };
}
