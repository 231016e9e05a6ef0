/**
 * The embedded default store: SQLite in a worker thread (see sqlite-worker.ts), with accepts and
 * logged rejections group-committed. Implements the same Store interface a PostgreSQL store will.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createGroupCommit } from '../group-commit.js';
import type { AcceptOutcome, Store } from '../store.js';
import type { Batched, SqliteDatabase } from './sqlite-database.js';
import type { WorkerCall, WorkerReply } from './sqlite-worker.js';

/**
 * Built, the worker is plain JavaScript. Run from TypeScript sources (tsx, vitest), the worker
 * registers tsx's loader first: Node 20 does not apply `--import` hooks to a worker's entry file.
 */
function startWorker(path: string): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./sqlite-worker.js', import.meta.url), { workerData: { path } });
  // Node 20 applies no ESM loader hooks inside an eval'd worker; tsx's require hook works there.
  const require = createRequire(import.meta.url);
  const entry = fileURLToPath(new URL('./sqlite-worker.ts', import.meta.url));
  const bootstrap = `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(entry)});`;
  return new Worker(bootstrap, { eval: true, workerData: { path } });
}

/**
 * A body read from a socket is a view into a larger pooled ArrayBuffer, and postMessage clones
 * the whole backing buffer: copy the bytes into a buffer of their own before they cross.
 */
function exact(body: Buffer): Buffer {
  if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength) return body;
  const copy = new Uint8Array(body.byteLength);
  copy.set(body);
  return Buffer.from(copy.buffer);
}

export async function openSqliteStore(path: string): Promise<Store> {
  const worker = startWorker(path);
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let failure: Error | undefined;

  const ready = new Promise<void>((resolve, reject) => {
    waiting.set(0, { resolve: () => resolve(), reject });
  });
  worker.on('message', (reply: WorkerReply) => {
    const pending = waiting.get(reply.id);
    if (!pending) return;
    waiting.delete(reply.id);
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(Object.assign(new Error(reply.message), { stack: reply.stack ?? reply.message }));
  });
  const failAll = (error: Error): void => {
    failure = error;
    for (const pending of waiting.values()) pending.reject(error);
    waiting.clear();
  };
  worker.on('error', (error) => failAll(new Error(`the SQLite store's worker failed: ${error.message}`, { cause: error })));
  worker.on('exit', (code) => failAll(new Error(`the SQLite store's worker exited (code ${code})`)));

  const call = <M extends keyof SqliteDatabase>(method: M, ...args: Parameters<SqliteDatabase[M]>): Promise<ReturnType<SqliteDatabase[M]>> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ id, method, args } satisfies WorkerCall);
    });
  };

  await ready;
  const group = createGroupCommit<Batched, AcceptOutcome | undefined>((items) => call('commitBatch', items));

  return {
    takeOver: () => call('takeOver'),
    accept: async (input) => {
      const payload = exact(input.payload);
      const request = input.request.raw ? { ...input.request, raw: { ...input.request.raw, body: payload } } : input.request;
      return (await group.submit({ kind: 'accept', input: { ...input, payload, request } }))!;
    },
    recordUnlaunched: async (entry) => {
      const raw = entry.raw?.body ? { ...entry.raw, body: exact(entry.raw.body) } : entry.raw;
      await group.submit({ kind: 'unlaunched', entry: raw ? { ...entry, raw } : entry });
    },
    addRepeats: (...args) => call('addRepeats', ...args),
    recordAnswers: (...args) => call('recordAnswers', ...args),
    unauthenticatedLogBytes: () => call('unauthenticatedLogBytes'),
    claimJobs: (...args) => call('claimJobs', ...args),
    followRemote: (...args) => call('followRemote', ...args),
    claimFollows: (...args) => call('claimFollows', ...args),
    rescheduleFollow: (...args) => call('rescheduleFollow', ...args),
    endFollow: (...args) => call('endFollow', ...args),
    completeJob: (...args) => call('completeJob', ...args),
    failJob: (...args) => call('failJob', ...args),
    nextJobDueMs: () => call('nextJobDueMs'),
    queueStats: () => call('queueStats'),
    createExecution: (...args) => call('createExecution', ...args),
    executionsOfPipeline: (...args) => call('executionsOfPipeline', ...args),
    createPipeline: (...args) => call('createPipeline', ...args),
    getPipeline: (...args) => call('getPipeline', ...args),
    finishPipeline: (...args) => call('finishPipeline', ...args),
    pipelinesWithStatus: (...args) => call('pipelinesWithStatus', ...args),
    updateExecution: (...args) => call('updateExecution', ...args),
    executionsWithStatus: (...args) => call('executionsWithStatus', ...args),
    getExecution: (...args) => call('getExecution', ...args),
    appendExecutionLog: (...args) => call('appendExecutionLog', ...args),
    executionLog: (...args) => call('executionLog', ...args),
    getRun: (...args) => call('getRun', ...args),
    getPayload: async (runId) => {
      const payload = await call('getPayload', runId);
      // Structured cloning turns a Buffer into a plain Uint8Array.
      return payload && { body: Buffer.from(payload.body.buffer, payload.body.byteOffset, payload.body.byteLength), contentType: payload.contentType };
    },
    listLog: (...args) => call('listLog', ...args),
    triggerStats: (...args) => call('triggerStats', ...args),
    getRequest: async (requestId) => {
      const stored = await call('getRequest', requestId);
      if (!stored?.raw.body) return stored;
      const body = stored.raw.body;
      return { ...stored, raw: { ...stored.raw, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) } };
    },
    listTriggerDefs: () => call('listTriggerDefs'),
    triggerRevision: () => call('triggerRevision'),
    writeTriggerDef: (...args) => call('writeTriggerDef', ...args),
    triggerRevisions: (...args) => call('triggerRevisions', ...args),
    secret: (...args) => call('secret', ...args),
    purge: (...args) => call('purge', ...args),
    close: async () => {
      await group.drain();
      if (!failure) await call('close');
      await worker.terminate();
    },
  };
}
