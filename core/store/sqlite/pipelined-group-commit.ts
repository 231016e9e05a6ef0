/**
 * Group commit for a database that commits synchronously and makes commits durable with a
 * separate, asynchronous flush (SQLite on the event loop, WAL fdatasync on the threadpool): the
 * items queued during one turn commit in one transaction, then wait for the next flush. The next
 * turn's items commit while that flush is under way, and the flush after covers them: commits
 * and flushes overlap, one flush in flight. (PostgreSQL's commit is itself the durable step and
 * keeps core/store/group-commit.ts.)
 */
export interface PipelinedGroupCommit<I, O> {
  submit(item: I): Promise<O>;
  /** Resolves once everything submitted so far is committed and durable. */
  drain(): Promise<void>;
}

export interface PipelinedGroupCommitOptions<I, O> {
  /** One transaction over the items, synchronous; results in the items' order. */
  readonly commit: (items: readonly I[]) => O[];
  /** Resolves after a flush that started after this call (see wal-sync.ts). */
  readonly durable: () => Promise<void>;
  /** While a blocking checkpoint runs, commits wait for it instead of blocking the event loop. */
  readonly writable?: (() => Promise<void> | undefined) | undefined;
  readonly maxBatch?: number | undefined;
}

interface Pending<I, O> {
  readonly item: I;
  readonly resolve: (value: O) => void;
  readonly reject: (error: unknown) => void;
}

export function createPipelinedGroupCommit<I, O>(options: PipelinedGroupCommitOptions<I, O>): PipelinedGroupCommit<I, O> {
  const maxBatch = options.maxBatch ?? 1024;
  let queue: Pending<I, O>[] = [];
  let scheduled = false;
  let unsettled = 0;
  let idle: Array<() => void> = [];

  const settled = (count: number): void => {
    unsettled -= count;
    if (unsettled > 0) return;
    const waiters = idle;
    idle = [];
    for (const wake of waiters) wake();
  };

  const flush = (): void => {
    const blocked = options.writable?.();
    if (blocked) {
      void blocked.finally(flush);
      return;
    }
    scheduled = false;
    while (queue.length > 0) {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
      queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
      let results: O[];
      try {
        results = options.commit(batch.map((p) => p.item));
      } catch (error) {
        for (const p of batch) p.reject(error);
        settled(batch.length);
        continue;
      }
      options.durable().then(
        () => batch.forEach((p, i) => p.resolve(results[i]!)),
        (error: unknown) => batch.forEach((p) => p.reject(error)),
      ).finally(() => settled(batch.length));
    }
  };

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        unsettled++;
        if (!scheduled) {
          scheduled = true;
          // setImmediate runs after this turn's I/O callbacks, so requests parsed together commit together.
          setImmediate(flush);
        }
      });
    },
    drain() {
      if (unsettled === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idle.push(resolve));
    },
  };
}
