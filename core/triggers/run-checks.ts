import type { Clock } from '../clock.js';
import type { Check } from '../conditions/check.js';
import type { RawRequest } from '../request/raw-request.js';
import type { Verdict } from '../reject.js';

/** Runs checks in order and stops at the first failure. */
export async function runChecks(checks: readonly Check[], req: RawRequest, clock: Clock): Promise<Verdict<void> | undefined> {
  for (const check of checks) {
    const verdict = await check(req, clock);
    if (!verdict.ok) return verdict;
  }
  return undefined;
}
