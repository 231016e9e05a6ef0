/**
 * Flushes to disk one at a time, shared: a caller while a flush runs waits for the next one (the
 * running one may have begun before its write), which starts when the running one ends; every
 * caller meanwhile shares it. So the disk sees one flush per round whatever the load. The WAL's
 * fdatasync (wal-sync.ts) and the payload log's (payload-log.ts) both go this way.
 *
 * After a failed fsync the kernel may have dropped the dirty pages it could not write, and a
 * retry would report success over lost data: the first failure is kept and every later flush fails.
 */
export interface FlushRounds {
  /** Resolves after a flush that began after this call. */
  after(): Promise<void>;
  /** The flush under way, if any: it covers what was written before it began. */
  readonly running: Promise<void> | undefined;
  /** The first failure, once a flush failed. */
  readonly failure: unknown;
  /** Waits until no flush is under way or waiting. */
  settled(): Promise<void>;
}

/** `failed` words the error every flush after the first failure gets (the failure as its cause). */
export function flushRounds(flush: () => Promise<void>, failed: (cause: unknown) => Error): FlushRounds {
  let failure: unknown;
  let running: Promise<void> | undefined;
  let next: { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void } | undefined;

  const start = (): Promise<void> => {
    // A round queued behind one that failed does not flush again: a second fsync reports success
    // over the pages the first could not write (found by an attack on the payload log).
    const round = (failure === undefined ? flush() : Promise.reject(failed(failure))).catch((error: unknown) => {
      failure ??= error;
      throw error;
    });
    running = round.finally(() => {
      running = undefined;
      const waiting = next;
      next = undefined;
      if (waiting) start().then(waiting.resolve, waiting.reject);
    });
    return running;
  };

  return {
    after() {
      if (failure !== undefined) return Promise.reject(failed(failure));
      if (!running) return start();
      if (!next) {
        let resolve!: () => void;
        let reject!: (error: unknown) => void;
        const promise = new Promise<void>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        next = { promise, resolve, reject };
      }
      return next.promise;
    },
    get running() {
      return running;
    },
    get failure() {
      return failure;
    },
    async settled() {
      while (running) await running.catch(() => undefined);
    },
  };
}
