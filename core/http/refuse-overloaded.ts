import type { ServerResponse } from 'node:http';
import { uuidv7 } from '../ids.js';
import { reject } from '../reject.js';
import type { HttpContext } from './context.js';
import { sendRejection } from './respond.js';

export type OverloadedLimit = 'connections' | 'inflight_bytes' | 'inflight_bytes_per_trigger';

/**
 * Senders retry a 503 (GitHub, Slack and Standard Webhooks senders all do); a few seconds lets
 * bodies in flight finish — none can take longer than the server's 30 s request timeout.
 */
const RETRY_AFTER_SECONDS = 5;

/**
 * 503 + Retry-After, with the body left unread (Connection: close stops Node draining it).
 * Logged with its request id like every 5xx, but not written to the trigger log: shedding load
 * must not cost a store write per refused request.
 */
export function refuseOverloaded(ctx: HttpContext, res: ServerResponse, triggerId: string, limit: OverloadedLimit): void {
  const requestId = uuidv7(ctx.clock.now());
  const rejection = reject('overloaded', `hooklaunch is at its ${describe(limit)} limit; retry after ${RETRY_AFTER_SECONDS} s`, { 'retry-after': String(RETRY_AFTER_SECONDS) });
  ctx.logger.warn({ triggerId, requestId, code: rejection.code, limit }, 'request refused: overloaded');
  ctx.onOverloaded?.(triggerId, limit);
  sendRejection(res, rejection, { connection: 'close', 'x-request-id': requestId });
}

function describe(limit: OverloadedLimit): string {
  if (limit === 'connections') return 'open connections';
  return limit === 'inflight_bytes' ? 'request bytes in flight' : "request bytes in flight for this trigger";
}
