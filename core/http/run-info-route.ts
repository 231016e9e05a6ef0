/**
 * GET /api/v0/launch/<trigger-id>/run/?run_id=... or POST with run_id in a JSON or form body.
 * Guarded by the trigger's own timestamp and auth conditions, as Valohai's run-info endpoint is.
 */
import type { RequestTarget } from './request-target.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { summariseRun } from '../launch/run-status.js';
import { describeBatch } from '../triggers/describe-batch.js';
import { runNotes } from '../notify/run-notes.js';
import { lookupDotPath } from '../request/dot-path.js';
import { parseBody } from '../request/raw-request.js';
import { reject } from '../reject.js';
import type { HttpContext } from './context.js';
import { readBody } from './read-body.js';
import { refuseOverloaded } from './refuse-overloaded.js';
import { sendJson, sendRejection } from './respond.js';
import type { CompiledTrigger } from '../triggers/compile-trigger.js';
import { runChecks } from '../triggers/run-checks.js';
import { toRawRequest } from './to-raw-request.js';

const MAX_RUN_INFO_BODY = 64 * 1024;

export async function handleRunInfo(ctx: HttpContext, triggerId: string, req: IncomingMessage, res: ServerResponse, url: RequestTarget): Promise<void> {
  const trigger = ctx.triggers.get(triggerId);
  if (!trigger) return sendRejection(res, reject('trigger_not_found', 'no such trigger'), { connection: 'close' });
  if (req.method !== 'GET' && req.method !== 'POST') {
    return sendRejection(res, reject('method_not_allowed', `${req.method} is not allowed here; use GET or POST`, { allow: 'GET, POST' }), { connection: 'close' });
  }
  const hold = ctx.inflight.open(trigger.id);
  try {
    const read = await readBody(req, MAX_RUN_INFO_BODY, hold);
    if (!read.ok) {
      if (read.reason === 'too_large') sendRejection(res, reject('body_too_large', `run info requests are at most ${MAX_RUN_INFO_BODY} bytes`), { connection: 'close' });
      if (read.reason === 'overloaded') refuseOverloaded(ctx, res, trigger.id, hold.refusedBy ?? 'inflight_bytes');
      return;
    }
    await answerRunInfo(ctx, trigger, req, res, url, read.body);
  } finally {
    hold.release();
  }
}

async function answerRunInfo(ctx: HttpContext, trigger: CompiledTrigger, req: IncomingMessage, res: ServerResponse, url: RequestTarget, bodyBytes: Buffer): Promise<void> {
  const raw = toRawRequest(req, url, bodyBytes, ctx.clock.now(), ctx.trustProxy);
  const failed = await runChecks(trigger.authChecks, raw, ctx.clock);
  if (failed && !failed.ok) return sendRejection(res, failed.rejection);

  let runId = url.searchParams.get('run_id') ?? undefined;
  if (runId === undefined && bodyBytes.length > 0) {
    const body = parseBody(raw);
    if (!body.ok) return sendRejection(res, body.rejection);
    const found = lookupDotPath(body.value.value, ['run_id']);
    if (found.found && typeof found.value === 'string') runId = found.value;
  }
  if (runId === undefined) return sendRejection(res, reject('missing_field', 'run_id is missing: pass it as a query parameter or in the body'));
  const [run, batch] = await Promise.all([ctx.store.getRun(runId), ctx.store.batchOfRun(runId)]);
  // `batch` is hooklaunch's own addition: a batched delivery's run id is its batch's run, which exists once the batch launched.
  const described = batch && batch.triggerId === trigger.id ? { batch: describeBatch(batch) } : undefined;
  if (!run || run.triggerId !== trigger.id) {
    if (described) return sendJson(res, 200, { status: batch!.state === 'held' ? 'batch_held' : 'batched', result: null, ...described });
    return sendRejection(res, reject('run_not_found', `no run ${JSON.stringify(runId.slice(0, 64))} for this trigger`));
  }
  const { status, result } = summariseRun(run);
  // `notes` is hooklaunch's own addition to Valohai's answer (a follow-up that was dropped), present only when there are some.
  const notes = await runNotes(ctx.store, run.runId);
  sendJson(res, 200, { status, result, ...(notes.length > 0 && { notes }), ...described });
}
