/**
 * Group commit: items that arrive while commits are in flight wait and go together in the next
 * one, so one fsync acknowledges many requests and the batch grows with the load. Each caller
 * waits for the commit that holds its own item; a failed commit fails every item in it.
 *
 * `maxInFlight` commits may run at once (PostgreSQL: each on its own pooled connection). A commit
 * is mostly round trips and the server's WAL flush; overlapping them keeps the event loop busy
 * instead of waiting. Whatever must be decided in order (dedupe, rate limits, batches) is decided
 * under the trigger's lock inside each commit, so concurrent commits serialize exactly there.
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

export function createGroupCommit<I, O>(commitBatch: (items: readonly I[]) => Promise<O[]>, options: { maxBatch?: number; maxInFlight?: number } = {}): GroupCommit<I, O> {
  const maxBatch = options.maxBatch ?? 1024;
  const maxInFlight = options.maxInFlight ?? 1;
  let queue: Pending<I, O>[] = [];
  let scheduled = false;
  let inFlight = 0;
  let idle: Array<() => void> = [];

  const flush = (): void => {
    scheduled = false;
    if (queue.length === 0) {
      if (inFlight > 0) return;
      const waiters = idle;
      idle = [];
      for (const wake of waiters) wake();
      return;
    }
    if (inFlight >= maxInFlight) return;
    const batch = queue.slice(0, maxBatch);
    queue = queue.slice(batch.length);
    inFlight++;
    commitBatch(batch.map((p) => p.item))
      .then(
        (results) => batch.forEach((p, i) => p.resolve(results[i]!)),
        (error: unknown) => batch.forEach((p) => p.reject(error)),
      )
      .finally(() => {
        inFlight--;
        flush();
      });
  };

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (!scheduled && inFlight < maxInFlight) {
          scheduled = true;
          // setImmediate runs after this turn's I/O callbacks, so requests parsed together batch together.
          setImmediate(flush);
        }
      });
    },
    drain() {
      if (queue.length === 0 && !scheduled && inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idle.push(resolve));
    },
  };
}
