/**
 * Group commit: work items that arrive while the event loop is busy are written in one
 * transaction, so one fsync acknowledges many requests. Each caller still waits for the commit
 * that holds its own item. A failed transaction fails every item in it, and none is acknowledged.
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

export function createGroupCommit<I, O>(commitBatch: (items: readonly I[]) => O[], maxBatch = 512): GroupCommit<I, O> {
  let queue: Pending<I, O>[] = [];
  let scheduled = false;
  let idle: Array<() => void> = [];

  const flush = (): void => {
    scheduled = false;
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      try {
        const results = commitBatch(batch.map((p) => p.item));
        batch.forEach((p, i) => p.resolve(results[i]!));
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
    }
    const waiters = idle;
    idle = [];
    for (const wake of waiters) wake();
  };

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          // setImmediate runs after pending I/O callbacks, so requests parsed in this turn batch together.
          setImmediate(flush);
        }
      });
    },
    drain() {
      if (queue.length === 0 && !scheduled) return Promise.resolve();
      return new Promise<void>((resolve) => idle.push(resolve));
    },
  };
}
