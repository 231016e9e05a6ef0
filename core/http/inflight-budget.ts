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
  let total = 0;
  let peak = 0;
  const perTrigger = new Map<string, number>();
  return {
    get bytes() {
      return total;
    },
    get peakBytes() {
      return peak;
    },
    bytesOf: (triggerId) => perTrigger.get(triggerId) ?? 0,
    open(triggerId) {
      let held = 0;
      let released = false;
      let refusedBy: BudgetHold['refusedBy'];
      return {
        get bytes() {
          return held;
        },
        get refusedBy() {
          return refusedBy;
        },
        grow(bytes) {
          if (released) throw new Error('in-flight budget grown after its release');
          const mine = perTrigger.get(triggerId) ?? 0;
          refusedBy = total + bytes > limits.maxBytes ? 'inflight_bytes' : mine + bytes > limits.maxBytesPerTrigger ? 'inflight_bytes_per_trigger' : undefined;
          if (refusedBy) return false;
          total += bytes;
          peak = Math.max(peak, total);
          perTrigger.set(triggerId, mine + bytes);
          held += bytes;
          return true;
        },
        release() {
          if (released) return;
          released = true;
          total -= held;
          const left = (perTrigger.get(triggerId) ?? 0) - held;
          // Deleted at zero so ids of triggers no longer sending do not accumulate.
          if (left > 0) perTrigger.set(triggerId, left);
          else perTrigger.delete(triggerId);
          held = 0;
        },
      };
    },
  };
}
