/** GET /api/v0/payloads/<run-id>/<file>?expires=&signature= — a run's payload for a remote execution. */
import type { RequestTarget } from './request-target.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { reject } from '../reject.js';
import type { HttpContext } from './context.js';
import { sendRejection } from './respond.js';
import { BATCH_INDEX_FILE } from '../store/batch-payload.js';

export async function handlePayload(ctx: HttpContext, req: IncomingMessage, res: ServerResponse, url: RequestTarget): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendRejection(res, reject('method_not_allowed', `${req.method} is not allowed here; use GET`, { allow: 'GET, HEAD' }), { connection: 'close' });
  }
  const verdict = ctx.payloadUrls.verify(url.pathname, url.searchParams, ctx.clock.now());
  if (!verdict.ok) return sendRejection(res, verdict.rejection);
  const payload = await ctx.store.getPayload(verdict.value.runId);
  if (!payload) return sendRejection(res, reject('run_not_found', 'the run of this payload is not in the store'));
  // A batch's run has two files in its payload input: batch.jsonl (the body) and index.json.
  const index = verdict.value.filename === BATCH_INDEX_FILE ? payload.index : undefined;
  const body = index ?? payload.body;
  res.writeHead(200, {
    'content-type': index ? 'application/json' : payload.contentType,
    'content-length': body.length,
    'content-disposition': `attachment; filename="${verdict.value.filename.replace(/["\\\r\n]/g, '_')}"`,
    'cache-control': 'private, no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
