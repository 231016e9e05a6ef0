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
    bytesOf: (triggerId) => budget.perTrigger.get(triggerId) ?? 0,
    open: (triggerId) => new Hold(budget, triggerId),
  };
}

class Budget {
  total = 0;
  peak = 0;
  readonly perTrigger = new Map<string, number>();
  constructor(readonly limits: BudgetLimits) {}
}

/** One request's reservation: a small object per request, not a set of closures. */
class Hold implements BudgetHold {
  bytes = 0;
  refusedBy: BudgetHold['refusedBy'];
  #released = false;

  constructor(
    private readonly budget: Budget,
    private readonly triggerId: string,
  ) {}

  grow(bytes: number): boolean {
    if (this.#released) throw new Error('in-flight budget grown after its release');
    const { budget } = this;
    const mine = budget.perTrigger.get(this.triggerId) ?? 0;
    this.refusedBy = budget.total + bytes > budget.limits.maxBytes ? 'inflight_bytes' : mine + bytes > budget.limits.maxBytesPerTrigger ? 'inflight_bytes_per_trigger' : undefined;
    if (this.refusedBy) return false;
    budget.total += bytes;
    budget.peak = Math.max(budget.peak, budget.total);
    budget.perTrigger.set(this.triggerId, mine + bytes);
    this.bytes += bytes;
    return true;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    const { budget } = this;
    budget.total -= this.bytes;
    const left = (budget.perTrigger.get(this.triggerId) ?? 0) - this.bytes;
    // Deleted at zero so ids of triggers no longer sending do not accumulate.
    if (left > 0) budget.perTrigger.set(this.triggerId, left);
    else budget.perTrigger.delete(this.triggerId);
    this.bytes = 0;
  }
}
