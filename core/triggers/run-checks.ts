import type { Clock } from '../clock.js';
import type { Check } from '../conditions/check.js';
import type { RawRequest } from '../request/raw-request.js';
import type { Verdict } from '../reject.js';

/**
 * Runs checks in order and stops at the first failure. Synchronous while the checks are (HMAC,
 * tokens, timestamps): a promise and a microtask per check per request are not free; a check
 * that returns a promise (a JWKS fetch) makes the rest asynchronous.
 */
export function runChecks(checks: readonly Check[], req: RawRequest, clock: Clock): Verdict<void> | undefined | Promise<Verdict<void> | undefined> {
  for (let i = 0; i < checks.length; i++) {
    const verdict = checks[i]!(req, clock);
    if (verdict instanceof Promise) return finishChecks(verdict, checks, i + 1, req, clock);
    if (!verdict.ok) return verdict;
  }
  return undefined;
}

async function finishChecks(pending: Promise<Verdict<void>>, checks: readonly Check[], next: number, req: RawRequest, clock: Clock): Promise<Verdict<void> | undefined> {
  const verdict = await pending;
  if (!verdict.ok) return verdict;
  for (let i = next; i < checks.length; i++) {
    const later = await checks[i]!(req, clock);
    if (!later.ok) return later;
  }
  return undefined;
}
