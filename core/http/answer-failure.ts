import type { ServerResponse } from 'node:http';
import { uuidv7 } from '../ids.js';
import { reject } from '../reject.js';
import type { HttpContext } from './context.js';
import { sendRejection } from './respond.js';

/**
 * The last resort for a bug thrown while a route handled a request. Routes answer their own
 * failures once a request id exists; this one too names a request id the sender can quote and the
 * operator can find in the log, and closes the connection when the answer had already begun.
 */
export function answerFailure(ctx: HttpContext, res: ServerResponse, pathname: string, error: unknown): void {
  const requestId = uuidv7(ctx.clock.now());
  ctx.logger.error({ err: error, url: pathname, requestId }, 'request failed');
  if (!res.headersSent) {
    sendRejection(res, reject('internal_error', 'hooklaunch failed while handling this request; whether it was recorded is unknown: retry (a trigger that deduplicates recognises a repeat) or look it up in the trigger log'), { connection: 'close', 'x-request-id': requestId });
  } else {
    res.destroy();
  }
}
