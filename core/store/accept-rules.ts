/** The accept decisions both stores word the same way: what a repeat and a rate limit say. */
import type { AcceptOutcome, RateLimitSpec } from './store.js';

export function duplicateMessage(what: string): string {
  return `repeat of an earlier delivery (same ${what}); nothing launched`;
}

export function limitReached(limit: RateLimitSpec): string {
  return `rate limit of ${limit.quota} launches per ${limit.periodMs / 1000} s reached`;
}

/** `nthNewest`: when the launch that fills the quota was made; the window frees up a period after it. */
export function rateLimited(limit: RateLimitSpec, nthNewest: number, nowMs: number): AcceptOutcome {
  const retryAfterSeconds = Math.max(1, Math.ceil((nthNewest + limit.periodMs - nowMs) / 1000));
  return { kind: 'rate_limited', retryAfterSeconds, message: `${limitReached(limit)}; retry in ${retryAfterSeconds} s` };
}

/** An accepted request's body is its run's payload, a batched one's is its batch item, a duplicate's is the run it repeats: only the others keep their own. */
export function keepsOwnBody(outcome: string): boolean {
  return outcome !== 'accepted' && outcome !== 'batched' && outcome !== 'duplicate';
}
