/**
 * The SQLite store's worker thread: owns the database and runs each operation the main thread
 * sends. Commits (and their fsync) happen here, so the event loop keeps accepting requests
 * while the disk flushes, and the next group commit grows meanwhile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteDatabase, type SqliteDatabase } from './sqlite-database.js';

export interface WorkerCall {
  readonly id: number;
  readonly method: keyof SqliteDatabase;
  readonly args: readonly unknown[];
}

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly stack?: string | undefined };

const port = parentPort!;
let db: SqliteDatabase;
try {
  db = openSqliteDatabase((workerData as { path: string }).path);
  port.postMessage({ id: 0, ok: true, value: 'ready' } satisfies WorkerReply);
} catch (error) {
  port.postMessage({ id: 0, ok: false, message: (error as Error).message, stack: (error as Error).stack } satisfies WorkerReply);
  process.exit(1);
}

port.on('message', (call: WorkerCall) => {
  let reply: WorkerReply;
  try {
    const method = db[call.method] as (...args: readonly unknown[]) => unknown;
    reply = { id: call.id, ok: true, value: method(...call.args) };
  } catch (error) {
    reply = { id: call.id, ok: false, message: (error as Error).message, stack: (error as Error).stack };
  }
  port.postMessage(reply);
  if (call.method === 'close') port.close();
});
