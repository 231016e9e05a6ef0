/**
 * Another program reading the SQLite store while hooklaunch serves it (an operator's `sqlite3`
 * shell, a Python script) must not cost an acknowledged request.
 *
 * SQLite decides it is the last connection to a WAL database, and may then checkpoint and delete
 * the WAL on closing, when it can take an EXCLUSIVE lock on the database file: every other
 * connection holds a SHARED POSIX lock there. POSIX drops all of a process's locks on a file
 * when any descriptor of that file is closed (sqlite.org/howtocorrupt.html, 2.2), so the store
 * must never close one of its own while its connections are open. When it did (the fsync of the
 * new database file), an SQLite without the -shm check of recent releases (the 3.40 sqlite3
 * shell of Debian 12) deleted the WAL under the running writer, which went on committing into the
 * deleted file: a stress run (SIGKILL soon after such a read) lost the last 38 acknowledged
 * requests of a run. And a WAL replaced under the writer must fail the store, not be followed.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../core/store/sqlite/sqlite-store.js';
import type { AcceptRequest, Store } from '../../core/store/store.js';

const TRIGGER = 'trigger-under-test-0001';
/** SQLite's lock bytes (os_unix.c): SHARED_FIRST is PENDING_BYTE (0x40000000) + 2. */
const SHARED_FIRST = 0x40000002;

let seq = 0;
function acceptRequest(): AcceptRequest {
  seq++;
  return {
    request: { requestId: `req-${seq}`, triggerId: TRIGGER, receivedAtMs: 1_000_000, method: 'POST', path: '/', remoteAddress: '127.0.0.1', sizeBytes: 64, bodySha256: 'x', headers: {} },
    runId: `run-${seq}`,
    payload: Buffer.alloc(64, 0x61),
    contentType: 'application/json',
    actions: [{ type: 'fetch-repository' }],
    rateLimits: [],
  };
}

/** The POSIX locks this process holds on a file, from /proc/locks: `[type, start]` pairs. */
function ownLocks(path: string): Array<[string, number]> {
  const inode = `:${statSync(path).ino} `;
  return readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[1] === 'POSIX' && f[4] === String(process.pid) && `${f[5]} `.endsWith(inode))
    .map((f) => [f[3]!, Number(f[6])]);
}

/** A program other than this process that reads the file with its own SQLite and closes it. */
function foreignReader(): { name: string; read: (db: string) => string } | undefined {
  if (spawnSync('sqlite3', ['-version']).status === 0) {
    return { name: `sqlite3 ${spawnSync('sqlite3', ['-version'], { encoding: 'utf8' }).stdout.split(' ')[0]}`, read: (db) => spawnSync('sqlite3', [db, 'SELECT count(*) FROM requests'], { encoding: 'utf8' }).stdout.trim() };
  }
  const python = spawnSync('python3', ['-c', 'import sqlite3; print(sqlite3.sqlite_version)'], { encoding: 'utf8' });
  if (python.status === 0) {
    const script = 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(c.execute("SELECT count(*) FROM requests").fetchone()[0]); c.close()';
    return { name: `python3 sqlite3 ${python.stdout.trim()}`, read: (db) => spawnSync('python3', ['-c', script, db], { encoding: 'utf8' }).stdout.trim() };
  }
  return undefined;
}

/**
 * What a restart after a SIGKILL would read: the database and WAL files as they are now (the
 * page cache outlives the process), recovered by a fresh connection in another folder.
 */
function requestsAfterCrash(path: string, dir: string): string[] {
  const image = join(dir, 'crash-image');
  mkdirSync(image);
  copyFileSync(path, join(image, 'state.db'));
  if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, join(image, 'state.db-wal'));
  const db = new Database(join(image, 'state.db'));
  try {
    return (db.prepare('SELECT request_id FROM requests ORDER BY seq').all() as Array<{ request_id: string }>).map((r) => r.request_id);
  } finally {
    db.close();
  }
}

describe('the SQLite store beside other programs', () => {
  let dir: string;
  let path: string;
  let store: Store | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hooklaunch-beside-'));
    path = join(dir, 'state.db');
  });
  afterEach(async () => {
    await store?.close().catch(() => undefined);
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it.runIf(existsSync('/proc/locks'))('holds the SHARED lock that tells any other SQLite it is not the last connection, for as long as it is open', async () => {
    store = await openSqliteStore(path);
    await store.takeOver();
    await Promise.all(Array.from({ length: 20 }, () => store!.accept(acceptRequest())));
    expect(ownLocks(path)).toContainEqual(['READ', SHARED_FIRST]);
    await store.close();
    store = undefined;
    expect(ownLocks(path)).toEqual([]);
  });

  const reader = foreignReader();
  it.skipIf(!reader)(`keeps the WAL, and every acknowledged accept, when ${reader?.name ?? 'an sqlite3 shell (none installed)'} reads the store while it serves`, async () => {
    // No passive checkpoint copies the WAL into the database file, and the WAL's name is not
    // looked at (every 50 ms in production): what those would mask within their interval shows.
    store = await openSqliteStore(path, { checkpointIntervalMs: 3_600_000, walCheckEveryMs: 3_600_000 });
    await store.takeOver();
    const acknowledged: string[] = [];
    const acceptSome = async (count: number): Promise<void> => {
      await Promise.all(
        Array.from({ length: count }, async () => {
          const input = acceptRequest();
          await store!.accept(input);
          acknowledged.push(input.request.requestId);
        }),
      );
    };
    await acceptSome(50);
    const walInode = statSync(`${path}-wal`).ino;

    expect(reader!.read(path)).toBe('50');
    expect(existsSync(`${path}-wal`)).toBe(true);
    expect(statSync(`${path}-wal`).ino).toBe(walInode);

    await acceptSome(50);
    expect(acknowledged).toHaveLength(100);
    expect(requestsAfterCrash(path, dir).sort()).toEqual([...acknowledged].sort());
  });

  it('acknowledges nothing more once the WAL at its name is another file than the one the writer appends to', async () => {
    store = await openSqliteStore(path, { checkpointIntervalMs: 3_600_000, walCheckEveryMs: 0 });
    await store.takeOver();
    await store.accept(acceptRequest());
    // The same bytes under the same name, in a new file: the writer's descriptor still points at the old one.
    copyFileSync(`${path}-wal`, join(dir, 'replacement'));
    renameSync(join(dir, 'replacement'), `${path}-wal`);

    const after = acceptRequest();
    await expect(store.accept(after)).rejects.toThrow(/replaced by another file/);
    await expect(store.accept(acceptRequest())).rejects.toThrow(/could not flush its write-ahead log/);
    expect(requestsAfterCrash(path, dir)).not.toContain(after.request.requestId);
  });
});
