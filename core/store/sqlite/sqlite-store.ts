/**
 * The embedded default store: SQLite on the event loop, made durable off it. Implements the same
 * Store interface as the PostgreSQL store.
 *
 * Why the event loop: better-sqlite3 is synchronous and a group commit of a turn's requests takes
 * well under a millisecond; what cost the time was cloning every request to a database thread
 * and every answer back. What must not run here is waiting for the disk, and that is an fsync.
 *
 * Why an acknowledged write survives (every write, not only accepts: a lost completeJob would
 * launch the work again):
 * - The database is in WAL mode with synchronous=NORMAL. SQLite's documentation (pragma.html,
 *   "synchronous"): in WAL mode with NORMAL the WAL is synced before each checkpoint and the
 *   database file after it, "but no sync operations occur during most transactions"; WAL with
 *   NORMAL stays consistent, and a commit is durable across an application crash whatever the
 *   setting, but may roll back after a power loss. So a commit is complete once its frames are in
 *   the WAL file, in the kernel's page cache.
 * - SIGKILL (or any crash of this process): the page cache belongs to the kernel and survives the
 *   process; the next open recovers every committed frame from the WAL.
 * - Power loss: each write's promise resolves only after an fdatasync of the WAL that started
 *   after its commit returned (wal-sync.ts, on the libuv threadpool). fsync acts on the inode, so
 *   our descriptor flushes the frames SQLite wrote through its own. This is the durability that
 *   synchronous=FULL gives (a WAL sync per commit) moved off the event loop and shared by every
 *   commit of a round; SQLite's forum confirms that flushing the WAL makes the previously
 *   committed WAL transactions durable (sqlite.org/forum/forumpost/d1a6bc7c4cd2baca). The WAL's
 *   directory entry is synced once when it is first opened; should the file at its name change
 *   under the writer, nothing more is acknowledged (wal-sync.ts).
 * - Payloads of PAYLOAD_LOG_MIN_BYTES and more are not in the WAL but in the payload log
 *   (payload-log.ts), appended before the commit that points at them; `durable` waits for the
 *   WAL's flush and the log's, so an acknowledged payload is on disk too. A power loss that kept a
 *   row and lost its payload's bytes (the two files reach the disk in no set order) is found and
 *   un-launched on the next start: that request was never acknowledged.
 * - Checkpoints run on the worker's connection (sqlite-worker.ts), never on the writer's
 *   (wal_autocheckpoint=0): with NORMAL a checkpoint syncs the WAL, copies it, then syncs the
 *   database file, before SQLite may reuse the WAL; so frames overwritten later are already
 *   durable in the database file.
 *
 * The WAL stays bounded: the worker checkpoints it passively (never blocking the writer) every
 * CHECKPOINT_INTERVAL_MS, and once it holds about 16 MiB of frames, commits wait (queued, the event
 * loop free) for a RESTART checkpoint of what is left, after which the writer starts the WAL
 * over, truncating the file to WAL_SIZE_LIMIT_BYTES (16 MiB). Should that fall behind (the worker
 * stuck) and the file reach WAL_MAX_BYTES (64 MiB), commits wait for a TRUNCATE checkpoint that
 * empties it: the WAL is at most 64 MiB plus the commits of the 50 ms between two looks at its
 * size, and about 16 MiB in steady state.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AcceptOutcome, BatchCloseOutcome, Store } from '../store.js';
import { createFsyncGroupCommit } from './fsync-group-commit.js';
import { openSqliteDatabase, type Batched, type CheckpointResult, type SqliteDatabase } from './sqlite-database.js';
import { RESTART_WANTED, type WorkerCall, type WorkerMethod, type WorkerReply } from './worker-protocol.js';
import { openWalSync } from './wal-sync.js';
import { openPayloadLog, type PayloadLog } from './payload-log.js';

export interface SqliteStoreOptions {
  /** The WAL flush; tests inject one to observe that nothing is answered before it. */
  readonly fdatasync?: ((fd: number) => Promise<void>) | undefined;
  /** Between the worker's passive checkpoints. */
  readonly checkpointIntervalMs?: number | undefined;
  /** Past this WAL size, commits pause for a checkpoint that empties the WAL. */
  readonly walMaxBytes?: number | undefined;
  /** How often the WAL's size is checked against walMaxBytes (and its inode, and the payload log segments', looked at). */
  readonly walCheckEveryMs?: number | undefined;
  /** The payload log's flush; tests inject one to hold it. */
  readonly payloadFdatasync?: ((fd: number) => Promise<void>) | undefined;
  /** Segment size of the payload log (tests make it small to see segments roll and go). */
  readonly payloadSegmentBytes?: number | undefined;
}

const CHECKPOINT_INTERVAL_MS = 50;
const WAL_MAX_BYTES = 64 * 1024 * 1024;
/** Each purge chunk is one short transaction; the event loop runs between chunks (while its fsync runs). */
const PURGE_CHUNK = 256;

interface Background {
  call<T>(method: WorkerMethod, ...args: readonly unknown[]): Promise<T>;
  /** The worker is gone (it crashed): its work falls back to the event loop's connection. */
  readonly failed: boolean;
  close(): Promise<void>;
}

/**
 * Built, the worker is plain JavaScript. Run from TypeScript sources (tsx, vitest), the worker
 * registers tsx's loader first: Node 20 does not apply `--import` hooks to a worker's entry file.
 */
function startWorker(workerData: { path: string; checkpointIntervalMs: number }): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./sqlite-worker.js', import.meta.url), { workerData });
  // Node 20 applies no ESM loader hooks inside an eval'd worker; tsx's require hook works there.
  const require = createRequire(import.meta.url);
  const entry = fileURLToPath(new URL('./sqlite-worker.ts', import.meta.url));
  const bootstrap = `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(entry)});`;
  return new Worker(bootstrap, { eval: true, workerData });
}

async function startBackground(path: string, checkpointIntervalMs: number, onRestartWanted: () => void): Promise<Background> {
  const worker = startWorker({ path, checkpointIntervalMs });
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let failure: Error | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    waiting.set(0, { resolve: () => resolve(), reject });
  });
  worker.on('message', (reply: WorkerReply) => {
    if (reply.id === RESTART_WANTED) return onRestartWanted();
    const pending = waiting.get(reply.id);
    if (!pending) return;
    waiting.delete(reply.id);
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(Object.assign(new Error(reply.message), { stack: reply.stack ?? reply.message }));
  });
  const failAll = (error: Error): void => {
    failure ??= error;
    for (const pending of waiting.values()) pending.reject(error);
    waiting.clear();
  };
  worker.on('error', (error) => failAll(new Error(`the SQLite store's worker failed: ${error.message}`, { cause: error })));
  worker.on('exit', (code) => failAll(new Error(`the SQLite store's worker exited (code ${code})`)));
  await ready;
  const call = <T>(method: WorkerMethod, ...args: readonly unknown[]): Promise<T> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ id, method, args } satisfies WorkerCall);
    });
  };
  return {
    call,
    get failed() {
      return failure !== undefined;
    },
    close: async () => {
      if (!failure) await call('close');
      await worker.terminate();
    },
  };
}

/**
 * The database file's own creation and header (written before WAL mode took over) made durable
 * once, through a descriptor kept open until the connections are closed: closing any descriptor
 * of a file drops every POSIX lock the process holds on it, SQLite's own included
 * (sqlite.org/howtocorrupt.html, 2.2), and that SHARED lock is how another process's SQLite knows
 * it is not the last connection. Without it, an SQLite lacking the -shm check of recent releases
 * (the 3.40 sqlite3 shell or Python of many distributions) that read the store while it served
 * took itself for the last connection when it closed and deleted the WAL, while the writer went
 * on appending acknowledged commits to the deleted file.
 */
function syncFile(path: string): { close(): void } {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return { close: () => closeSync(fd) };
}

export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<Store> {
  // An in-memory database has no file to flush and no second connection can see it.
  const memory = path === ':memory:';
  const payloads: PayloadLog | undefined = memory ? undefined : openPayloadLog(path, { fdatasync: options.payloadFdatasync, segmentBytes: options.payloadSegmentBytes, statEveryMs: options.walCheckEveryMs });
  const db = openSqliteDatabase(path, 'writer', payloads);
  const walMaxBytes = options.walMaxBytes ?? WAL_MAX_BYTES;

  // Commits wait on this while a RESTART or TRUNCATE checkpoint holds the write lock, so the
  // writer's busy handler never sleeps on the event loop.
  let exclusive: Promise<void> | undefined;
  let background: Background | undefined;
  // Only the serving process (the one that took the store over) checkpoints: a CLI command that
  // opens the store beside it would otherwise hold the write lock for a RESTART while the server's
  // writer waits for it on its event loop.
  let serving = false;
  const checkpointExclusive = (mode: 'RESTART' | 'TRUNCATE'): void => {
    if (exclusive || !background || !serving) return;
    // Degraded, but the WAL stays bounded: the event loop pays for the checkpoint.
    if (background.failed) return void db.checkpoint(mode);
    exclusive = background
      .call<CheckpointResult>('checkpoint', mode)
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        exclusive = undefined;
      });
  };
  let wal: ReturnType<typeof openWalSync> | undefined;
  let file: ReturnType<typeof syncFile> | undefined;
  try {
    if (!memory) {
      file = syncFile(path);
      wal = openWalSync(`${path}-wal`, { fdatasync: options.fdatasync, statEveryMs: options.walCheckEveryMs, onSynced: (walBytes) => walBytes >= walMaxBytes && checkpointExclusive('TRUNCATE') });
      background = await startBackground(path, options.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS, () => checkpointExclusive('RESTART'));
    }
  } catch (error) {
    await wal?.close();
    await payloads?.close();
    db.close();
    file?.close();
    throw error;
  }

  // An answer waits for both: the rows in the WAL and the payloads they point at.
  const durable = wal && payloads ? () => Promise.all([wal.durable(), payloads.durable()]).then(() => undefined) : () => Promise.resolve();
  const writable = (): Promise<void> | undefined => exclusive;
  /** Commits now (or after an exclusive checkpoint), resolves once the commit is on disk. */
  const write = async <T>(commit: () => T): Promise<T> => {
    while (exclusive) await exclusive;
    const result = commit();
    await durable();
    return result;
  };
  const writer =
    <A extends unknown[], R>(method: (...args: A) => R) =>
    (...args: A): Promise<R> =>
      write(() => method(...args));
  const reader =
    <A extends unknown[], R>(method: (...args: A) => R) =>
    async (...args: A): Promise<R> =>
      method(...args);
  /**
   * Reads whose cost grows with a table (a page of the log, counts over the day's requests or the
   * pending jobs) run on the worker's connection: tens of milliseconds on a large store that the
   * event loop does not wait through. They see every commit made before they were asked.
   */
  const scan =
    <M extends 'listLog' | 'triggerStats' | 'unauthenticatedLogBytes' | 'queueStats' | 'nextJobDueMs'>(method: M) =>
    (...args: Parameters<SqliteDatabase[M]>): Promise<ReturnType<SqliteDatabase[M]>> =>
      background && !background.failed
        ? background.call(method, ...args)
        : (async () => (db[method] as (...a: typeof args) => ReturnType<SqliteDatabase[M]>)(...args))();

  const group = createFsyncGroupCommit<Batched, ReturnType<SqliteDatabase['commitBatch']>[number]>({
    commit: (items) => db.commitBatch(items),
    durable,
    writable,
  });

  return {
    takeOver: async () => {
      await write(() => db.takeOver());
      serving = true;
      await background?.call('startCheckpoints');
    },
    accept: async (input) => (await group.submit({ kind: 'accept', input })) as AcceptOutcome,
    closeBatch: async (close) => (await group.submit({ kind: 'close', close })) as BatchCloseOutcome,
    dueBatches: reader(db.dueBatches),
    nextBatchDueMs: reader(db.nextBatchDueMs),
    listBatches: reader(db.listBatches),
    getBatch: reader(db.getBatch),
    batchOfRun: reader(db.batchOfRun),
    batchItems: reader(db.batchItems),
    recordUnlaunched: async (entry) => {
      await group.submit({ kind: 'unlaunched', entry });
    },
    addRepeats: writer(db.addRepeats),
    recordAnswers: writer(db.recordAnswers),
    unauthenticatedLogBytes: scan('unauthenticatedLogBytes'),
    claimJobs: writer(db.claimJobs),
    followRemote: writer(db.followRemote),
    claimFollows: writer(db.claimFollows),
    rescheduleFollow: writer(db.rescheduleFollow),
    endFollow: writer(db.endFollow),
    completeJob: writer(db.completeJob),
    failJob: writer(db.failJob),
    nextJobDueMs: scan('nextJobDueMs'),
    queueStats: scan('queueStats'),
    createExecution: writer(db.createExecution),
    executionsOfPipeline: reader(db.executionsOfPipeline),
    createPipeline: writer(db.createPipeline),
    getPipeline: reader(db.getPipeline),
    finishPipeline: writer(db.finishPipeline),
    pipelinesWithStatus: reader(db.pipelinesWithStatus),
    updateExecution: writer(db.updateExecution),
    executionsWithStatus: reader(db.executionsWithStatus),
    getExecution: reader(db.getExecution),
    appendExecutionLog: writer(db.appendExecutionLog),
    executionLog: reader(db.executionLog),
    getRun: reader(db.getRun),
    getPayload: reader(db.getPayload),
    listLog: scan('listLog'),
    triggerStats: scan('triggerStats'),
    getRequest: reader(db.getRequest),
    listTriggerDefs: reader(db.listTriggerDefs),
    triggerRevision: reader(db.triggerRevision),
    writeTriggerDef: writer(db.writeTriggerDef),
    triggerRevisions: reader(db.triggerRevisions),
    secret: writer(db.secret),
    purge: async (beforeMs) => {
      const purged = { requests: 0, runs: 0, executionIds: [] as string[] };
      for (;;) {
        const chunk = await write(() => db.purgeChunk(beforeMs, PURGE_CHUNK));
        purged.requests += chunk.requests;
        purged.runs += chunk.runs;
        purged.executionIds.push(...chunk.executionIds);
        if (chunk.done) {
          // A segment goes once no run points into it (the current one stays: appends go there).
          // Only the serving process, the log's one writer, deletes: a command beside it cannot know its segment.
          if (serving) payloads?.dropUnused((segment) => db.payloadSegmentInUse(segment));
          return purged;
        }
      }
    },
    close: async () => {
      try {
        await group.drain();
        while (exclusive) await exclusive;
        await durable();
        // Every payload is flushed now: noted, the next start does not take the last runs for
        // ones whose senders were never answered, should their bytes be damaged later.
        if (serving) await write(() => db.notePayloadsDurable());
      } finally {
        await background?.close().catch(() => undefined);
        await wal?.close();
        await payloads?.close();
        // The last connection to close checkpoints the WAL into the database file (synced) and deletes it.
        try {
          db.close();
        } finally {
          file?.close();
        }
      }
    },
  };
}
