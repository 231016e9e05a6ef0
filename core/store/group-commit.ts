/**
 * Group commit: items that arrive while a commit is in flight wait and go together in the next
 * one, so one fsync acknowledges many requests and the batch grows with the load. Each caller
 * waits for the commit that holds its own item; a failed commit fails every item in it.
 */
export interface GroupCommit<I, O> {
  submit(item: I): Promise<O>;
  /** Resolves once everything submitted so far is committed. */
  drain(): Promise<void>;
}

interface Pending<I, O> {
  readonly item: I;
  readonly resolve: (value: O) => void;
  readonly reject: (error: unknown) => void;
}

export function createGroupCommit<I, O>(commitBatch: (items: readonly I[]) => Promise<O[]>, maxBatch = 1024): GroupCommit<I, O> {
  let queue: Pending<I, O>[] = [];
  let scheduled = false;
  let inFlight = false;
  let idle: Array<() => void> = [];

  const flush = (): void => {
    scheduled = false;
    if (inFlight) return;
    if (queue.length === 0) {
      const waiters = idle;
      idle = [];
      for (const wake of waiters) wake();
      return;
    }
    const batch = queue.slice(0, maxBatch);
    queue = queue.slice(batch.length);
    inFlight = true;
    commitBatch(batch.map((p) => p.item)).then(
      (results) => batch.forEach((p, i) => p.resolve(results[i]!)),
      (error: unknown) => batch.forEach((p) => p.reject(error)),
    ).finally(() => {
      inFlight = false;
      flush();
    });
  };

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (!scheduled && !inFlight) {
          scheduled = true;
          // setImmediate runs after this turn's I/O callbacks, so requests parsed together batch together.
          setImmediate(flush);
        }
      });
    },
    drain() {
      if (queue.length === 0 && !scheduled && !inFlight) return Promise.resolve();
      return new Promise<void>((resolve) => idle.push(resolve));
    },
  };
}
