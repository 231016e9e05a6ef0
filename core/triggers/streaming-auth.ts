/**
 * The part of a trigger's authentication that can be decided while the body streams in (issue
 * #11: forged multi-MiB bodies were buffered whole before their HMAC was checked). It applies
 * when the trigger's first body-reading check is an HMAC `compileStreamingHmac` accepts and every
 * check ranked before it reads only headers or the query: those run before the body is read,
 * then the HMAC is fed chunk by chunk. Other triggers (connectors, JWT, JSON-located tokens)
 * keep the buffered path. A body that verifies still goes through every check in
 * `handleDelivery`; this only decides earlier, on fewer bytes held, what those checks would say.
 */
import type { Clock } from '../clock.js';
import type { Check } from '../conditions/check.js';
import { compileStreamingHmac, type StreamingHmac } from '../conditions/hmac.js';
import type { ConditionConfig, LocatorConfig } from '../config/schema.js';
import type { RawRequest } from '../request/raw-request.js';
import type { Verdict } from '../reject.js';
import { runChecks } from './run-checks.js';

/** Given the request without its body: the rejection, or an HMAC to feed the body to. */
export type StreamingAuth = (headersOnly: RawRequest, clock: Clock) => Promise<Verdict<StreamingHmac>>;

export interface RankedCheck {
  readonly check: Check;
  /** The condition it was compiled from; absent for a connector's own verify (opaque: never streamed). */
  readonly condition?: ConditionConfig | undefined;
}

export function compileStreamingAuth(ranked: readonly RankedCheck[], timestampLocator: LocatorConfig | undefined): StreamingAuth | undefined {
  const at = ranked.findIndex((r) => !readsHeadersOnly(r.condition));
  const first = ranked[at]?.condition;
  if (first?.type !== 'web-request-auth' || first.auth_type !== 'hmac') return undefined;
  const begin = compileStreamingHmac(first, timestampLocator);
  if (!begin) return undefined;
  const before = ranked.slice(0, at).map((r) => r.check);
  return async (req, clock) => {
    const failed = await runChecks(before, req, clock);
    return failed && !failed.ok ? failed : begin(req);
  };
}

function readsHeadersOnly(condition: ConditionConfig | undefined): boolean {
  if (condition === undefined) return false;
  const located = condition.type === 'timestamp' || (condition.type === 'web-request-auth' && condition.auth_type === 'static_token');
  return located && (condition.lookup === 'header' || condition.lookup === 'query');
}
