/**
 * POST /api/v0/launch/<trigger-id>/ — read, hand to the trigger, answer. Served on node:http
 * directly: this is the hot path, and the sender's deadline (Slack 3 s, GitHub 10 s) is what counts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { reject, type Rejection } from '../reject.js';
import { rejectionAnswer } from '../triggers/answers.js';
import type { RequestRecord, SentAnswer } from '../store/store.js';
import { redactHeaders, type Redaction } from '../trigger-log/redaction.js';
import type { CompiledTrigger } from '../triggers/compile-trigger.js';
import { handleDelivery, logRefusal, type HandledOutcome } from '../triggers/handle-delivery.js';
import type { HttpContext } from './context.js';
import type { BudgetHold } from './inflight-budget.js';
import { declaredLength, readBody } from './read-body.js';
import { IN_MEMORY_UNVERIFIED_BYTES, readBodyVerifying, type VerifiedBodyRead } from './read-body-verifying.js';
import { refuseOverloaded } from './refuse-overloaded.js';
import { requestRecord } from '../trigger-log/request-record.js';
import { sendResponseSpec, type SentResponse } from './respond.js';
import { toRawRequest } from './to-raw-request.js';

export async function handleLaunch(ctx: HttpContext, triggerId: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const receivedAtMs = ctx.clock.now();
  const started = performance.now();
  const trigger = ctx.triggers.get(triggerId);
  /** `sizeBytes`: what was read of the body before the refusal (a forged body checked as it streamed), else its declared length. */
  const refuseEarly = async (rejection: Rejection, sizeBytes = declaredLength(req) ?? 0): Promise<void> => {
    // The body is not kept (or not read: Connection: close stops Node from draining it).
    const raw = toRawRequest(req, url, Buffer.alloc(0), receivedAtMs);
    // Nothing to replay without a body or a trigger: the raw request is not kept.
    const { raw: _capture, ...unsized } = requestRecord(triggerId.slice(0, 128), raw, ctx.redaction);
    const record = { ...unsized, sizeBytes, revision: trigger?.revision };
    await logRefusal(ctx, record, rejection, trigger ? 'anonymous' : 'unknown-trigger');
    ctx.onRefusedEarly?.(trigger?.id ?? 'unknown', rejection.code);
    sendResponseSpec(res, { ...rejectionAnswer(rejection), headers: { ...rejection.headers, connection: 'close', 'x-request-id': record.requestId } });
  };
  if (!trigger) return refuseEarly(reject('trigger_not_found', `no trigger with id ${JSON.stringify(triggerId.slice(0, 128))}`));
  if (req.method !== 'POST') return refuseEarly(reject('method_not_allowed', `${req.method} is not allowed; webhooks are sent with POST`, { allow: 'POST' }));
  // Every byte held is reserved in the in-flight budget (issue #11), and released however this ends.
  const hold = ctx.inflight.open(trigger.id);
  try {
    const read = await readLaunchBody(ctx, trigger, req, url, hold, receivedAtMs);
    if (!read.ok) {
      if (read.reason === 'aborted') return;
      if (read.reason === 'overloaded') return refuseOverloaded(ctx, res, trigger.id, hold.refusedBy ?? 'inflight_bytes');
      if (read.reason === 'rejected') return refuseEarly(read.rejection, read.sizeBytes);
      return refuseEarly(reject('body_too_large', `body is larger than this trigger's limit of ${trigger.maxBodyBytes} bytes`));
    }
    const raw = toRawRequest(req, url, read.body, receivedAtMs);
    // The revision that judges this request, whatever changes while it is handled.
    const record = { ...requestRecord(trigger.id, raw, ctx.redaction), revision: trigger.revision };
    let handled: HandledOutcome;
    try {
      handled = await handleDelivery(ctx, trigger, raw, record, ctx.clock);
    } catch (error) {
      return failInternally(ctx, res, trigger, record, error);
    }
    const sent = sendResponseSpec(res, { ...handled.answer, headers: { ...handled.answer.headers, 'x-request-id': record.requestId } });
    const totalMs = performance.now() - started;
    ctx.onAnswered?.(trigger, handled.outcome, totalMs / 1000);
    ctx.rejections.recordAnswer({ requestId: record.requestId, answeredMs: totalMs, answer: sentAnswer(sent, handled, totalMs, ctx.redaction) });
  } finally {
    hold.release();
  }
}

/** The answer as the trigger log keeps it: credential headers redacted, the body cut at 4 KiB. */
function sentAnswer(sent: SentResponse, handled: HandledOutcome, totalMs: number, redaction: Redaction): SentAnswer {
  const headers = redactHeaders(Object.fromEntries(Object.entries(sent.headers).map(([name, value]) => [name.toLowerCase(), [value]])), redaction);
  const body = Buffer.byteLength(sent.body) > ANSWER_BODY_BYTES ? Buffer.from(sent.body).subarray(0, ANSWER_BODY_BYTES).toString('utf8') : sent.body;
  return { status: sent.status, headers, body, stages: { ...handled.stages, total_ms: totalMs } };
}

/** The most of an answer's body the trigger log keeps. */
const ANSWER_BODY_BYTES = 4096;

/**
 * Large bodies for a trigger whose HMAC can be checked as they stream are not held whole while
 * unverified; the header-only checks before it run first, so a request failing them is refused
 * unread. Small bodies (the usual webhook) take the plain buffered path and pay nothing for this.
 */
async function readLaunchBody(ctx: HttpContext, trigger: CompiledTrigger, req: IncomingMessage, url: URL, hold: BudgetHold, receivedAtMs: number): Promise<VerifiedBodyRead> {
  const declared = declaredLength(req);
  if (!trigger.streamingAuth || (declared !== undefined && (declared <= IN_MEMORY_UNVERIFIED_BYTES || declared > trigger.maxBodyBytes))) {
    return readBody(req, trigger.maxBodyBytes, hold);
  }
  const begun = await trigger.streamingAuth(toRawRequest(req, url, Buffer.alloc(0), receivedAtMs), ctx.clock);
  if (!begun.ok) return { ok: false, reason: 'rejected', rejection: begun.rejection, sizeBytes: 0 };
  return readBodyVerifying(req, trigger.maxBodyBytes, hold, begun.value);
}

/**
 * A bug or a failing store: a 500 that the sender can quote (X-Request-Id), the operator can find
 * in the service log, and — when the store still answers — the trigger log shows (issue #11).
 */
async function failInternally(ctx: HttpContext, res: ServerResponse, trigger: CompiledTrigger, record: RequestRecord, error: unknown): Promise<void> {
  const rejection = reject('internal_error', `hooklaunch failed while handling request ${record.requestId}; nothing was launched, please retry`);
  ctx.logger.error({ err: error, triggerId: trigger.id, requestId: record.requestId }, 'request failed');
  try {
    await ctx.rejections.record({ ...record, outcome: 'rejected', status: rejection.status, code: rejection.code, message: rejection.message }, 'failure');
  } catch (recordError) {
    ctx.logger.error({ err: recordError, triggerId: trigger.id, requestId: record.requestId }, 'the failed request could not be written to the trigger log');
  }
  ctx.onRefusedEarly?.(trigger.id, rejection.code);
  if (res.headersSent) res.destroy();
  else sendResponseSpec(res, { ...rejectionAnswer(rejection), headers: { connection: 'close', 'x-request-id': record.requestId } });
}
