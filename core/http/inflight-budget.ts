/**
 * How many request-body bytes the launch route holds in memory, server-wide and per trigger
 * (issue #11: memory grew with connections × body size). A request reserves before it buffers —
 * its Content-Length at once, or chunk by chunk when the body is chunked — and a reservation
 * that does not fit is refused whole, so the caller answers 503 instead of buffering.
 */
export interface InflightBudget {
  /** A reservation for one request; release it in every path (it is idempotent). */
  open(triggerId: string): BudgetHold;
  /** Bytes reserved now (the in-flight gauge). */
  readonly bytes: number;
  /** The most ever reserved at once since start (tests, capacity planning). */
  readonly peakBytes: number;
  bytesOf(triggerId: string): number;
}

export interface BudgetHold {
  /** Reserves `bytes` more; false (and nothing reserved) when a limit would be passed. */
  grow(bytes: number): boolean;
  readonly bytes: number;
  /** Which limit the last refused `grow` would have passed (for the 503's message and metrics). */
  readonly refusedBy: 'inflight_bytes' | 'inflight_bytes_per_trigger' | undefined;
  release(): void;
}

export interface BudgetLimits {
  readonly maxBytes: number;
  readonly maxBytesPerTrigger: number;
}

export function createInflightBudget(limits: BudgetLimits): InflightBudget {
  const budget = new Budget(limits);
  return {
    get bytes() {
      return budget.total;
    },
    get peakBytes() {
      return budget.peak;
    },
    bytesOf: (triggerId) => budget.perTrigger.get(triggerId)?.bytes ?? 0,
    open: (triggerId) => new Hold(budget, budget.share(triggerId)),
  };
}

/** One trigger's bytes in flight, and how many holds are open on them. */
interface TriggerShare {
  bytes: number;
  holds: number;
}

/** Shares kept at least, before a sweep of unused ones. */
const SWEEP_FLOOR = 1024;

class Budget {
  total = 0;
  peak = 0;
  readonly perTrigger = new Map<string, TriggerShare>();
  #sweepAt = SWEEP_FLOOR;
  constructor(readonly limits: BudgetLimits) {}

  /**
   * The trigger's share, kept while unused: deleting it when its last request ended and adding it
   * back with the next one rebuilt the map's table for every request of a trigger sent one at a
   * time (issue #14). Shares of triggers no longer sending (removed by a reload) are swept when the
   * map has doubled since the last sweep.
   */
  share(triggerId: string): TriggerShare {
    let share = this.perTrigger.get(triggerId);
    if (share === undefined) {
      if (this.perTrigger.size >= this.#sweepAt) {
        for (const [id, unused] of this.perTrigger) if (unused.holds === 0) this.perTrigger.delete(id);
        this.#sweepAt = Math.max(SWEEP_FLOOR, 2 * this.perTrigger.size);
      }
      share = { bytes: 0, holds: 0 };
      this.perTrigger.set(triggerId, share);
    }
    share.holds++;
    return share;
  }
}

/** One request's reservation: a small object per request, not a set of closures. */
class Hold implements BudgetHold {
  bytes = 0;
  refusedBy: BudgetHold['refusedBy'];
  #released = false;

  constructor(
    private readonly budget: Budget,
    private readonly share: TriggerShare,
  ) {}

  grow(bytes: number): boolean {
    if (this.#released) throw new Error('in-flight budget grown after its release');
    const { budget, share } = this;
    this.refusedBy = budget.total + bytes > budget.limits.maxBytes ? 'inflight_bytes' : share.bytes + bytes > budget.limits.maxBytesPerTrigger ? 'inflight_bytes_per_trigger' : undefined;
    if (this.refusedBy) return false;
    budget.total += bytes;
    budget.peak = Math.max(budget.peak, budget.total);
    share.bytes += bytes;
    this.bytes += bytes;
    return true;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.budget.total -= this.bytes;
    this.share.bytes -= this.bytes;
    this.share.holds--;
    this.bytes = 0;
  }
}
