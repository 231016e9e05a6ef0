import type { Clock } from '../clock.js';
import type { RawRequest } from '../request/raw-request.js';
import type { Verdict } from '../reject.js';

/** One compiled condition: pure over the request and the clock; a failure is a value, never a throw. */
export type Check = (req: RawRequest, clock: Clock) => Verdict<void> | Promise<Verdict<void>>;

export const PASS: Verdict<void> = { ok: true, value: undefined };
