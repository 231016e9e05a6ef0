/**
 * The SQLite store's background thread, on its own reader connection: checkpoints (copying the
 * WAL into the database file and fsyncing both: milliseconds that would otherwise stall the event
 * loop) and the reads that can scan a large table (the trigger log pages, the per-trigger stats,
 * the queue's depth and next due job).
 * Requests and accepts never come here: the event loop's writer connection commits them, so
 * nothing is cloned per request. WAL lets this connection read and checkpoint beside the writer.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteDatabase, type CheckpointResult, type SqliteDatabase } from './sqlite-database.js';
import { RESTART_WANTED, type WorkerCall, type WorkerReply } from './worker-protocol.js';

/**
 * About 16 MiB of 4 KiB pages: the WAL is started over about this often. Each start-over pauses
 * commits for a short checkpoint and costs the writer one sync of the new WAL header, so not too
 * often; the larger the WAL, the longer the reads' look-ups in its index.
 */
const RESTART_FRAMES = 4096;

const port = parentPort!;
const { path, checkpointIntervalMs } = workerData as { path: string; checkpointIntervalMs: number };
let db: SqliteDatabase;
try {
  db = openSqliteDatabase(path, 'reader');
  port.postMessage({ id: 0, ok: true, value: 'ready' } satisfies WorkerReply);
} catch (error) {
  port.postMessage({ id: 0, ok: false, message: (error as Error).message, stack: (error as Error).stack } satisfies WorkerReply);
  process.exit(1);
}

/**
 * PASSIVE never takes the write lock, so the event loop's commits go on meanwhile. But SQLite
 * starts the WAL over only when a writer finds every frame copied, which a passive checkpoint
 * racing a steady stream of commits may never leave it to see: once the WAL holds
 * RESTART_FRAMES, this asks the store for a RESTART, which it runs with commits held back (the
 * passive rounds copied nearly everything, so the pause is a short copy and two fsyncs).
 */
let restartAsked = false;
/** The WAL's length after the last RESTART: until the writer starts it over, another would copy nothing. */
let restartedAtFrames = -1;
const checkpointRound = (): void => {
  try {
    const result = db.checkpoint('PASSIVE');
    if (!restartAsked && result.logFrames >= RESTART_FRAMES && result.logFrames !== restartedAtFrames) {
      restartAsked = true;
      port.postMessage({ id: RESTART_WANTED, ok: true, value: result } satisfies WorkerReply);
    }
  } catch {
    // SQLITE_BUSY and the like: the next round tries again.
  }
  timer = setTimeout(checkpointRound, checkpointIntervalMs);
};
/** Only the serving process checkpoints (see sqlite-store.ts): rounds start when it says so. */
let timer: NodeJS.Timeout | undefined;

port.on('message', (call: WorkerCall) => {
  if (call.method === 'startCheckpoints') {
    timer ??= setTimeout(checkpointRound, checkpointIntervalMs);
    return port.postMessage({ id: call.id, ok: true, value: undefined } satisfies WorkerReply);
  }
  if (call.method === 'close') clearTimeout(timer);
  if (call.method === 'checkpoint') {
    // The writer starts the WAL over on its next commit; a passive round just then could hold a
    // read mark it needs and leave the WAL growing, so the next round waits a whole interval.
    restartAsked = false;
    if (timer) {
      clearTimeout(timer);
      timer = setTimeout(checkpointRound, checkpointIntervalMs);
    }
  }
  let reply: WorkerReply;
  try {
    const method = db[call.method] as (...args: readonly unknown[]) => unknown;
    reply = { id: call.id, ok: true, value: method(...call.args) };
  } catch (error) {
    reply = { id: call.id, ok: false, message: (error as Error).message, stack: (error as Error).stack };
  }
  if (call.method === 'checkpoint' && reply.ok) restartedAtFrames = (reply.value as CheckpointResult).logFrames;
  port.postMessage(reply);
  if (call.method === 'close') port.close();
});
