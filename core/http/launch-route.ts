/**
 * POST /api/v0/launch/<trigger-id>/ — read, hand to the trigger, answer. Served on node:http
 * directly: this is the hot path, and the sender's deadline (Slack 3 s, GitHub 10 s) is what counts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { reject, type Rejection } from '../reject.js';
import { rejectionAnswer } from '../triggers/answers.js';
import type { SentAnswer } from '../store/store.js';
import { isCredentialHeader, REDACTED, type Redaction } from '../trigger-log/redaction.js';
import type { CompiledTrigger } from '../triggers/compile-trigger.js';
import type { StreamingAuth } from '../triggers/streaming-auth.js';
import { handleDelivery, logRefusal, type HandledOutcome } from '../triggers/handle-delivery.js';
import type { HttpContext } from './context.js';
import type { BudgetHold } from './inflight-budget.js';
import { declaredLength, readBodyThen } from './read-body.js';
import { IN_MEMORY_UNVERIFIED_BYTES, readBodyVerifying, type VerifiedBodyRead } from './read-body-verifying.js';
import { refuseOverloaded } from './refuse-overloaded.js';
import { answerFailure } from './answer-failure.js';
import { PendingRecord } from '../trigger-log/request-record.js';
import { sendResponseSpec, type SentResponse } from './respond.js';
import { toRawRequest, type RequestTarget } from './to-raw-request.js';

/**
 * Undefined once the body is being read: the usual body is handled from its stream's `end` event,
 * and a refused forgery answered there without a promise or its ticks (issue #14); a bug on that
 * way is answered by `answerFailure`. A promise for a request refused on its headers alone.
 */
export function handleLaunch(ctx: HttpContext, triggerId: string, req: IncomingMessage, res: ServerResponse, target: RequestTarget): Promise<void> | undefined {
  const receivedAtMs = ctx.clock.now();
  const started = performance.now();
  const trigger = ctx.triggers.get(triggerId);
  if (!trigger) return refuseEarly(ctx, undefined, triggerId, req, res, target, receivedAtMs, reject('trigger_not_found', `no trigger with id ${JSON.stringify(triggerId.slice(0, 128))}`), undefined, true);
  if (req.method !== 'POST') return refuseEarly(ctx, trigger, triggerId, req, res, target, receivedAtMs, reject('method_not_allowed', `${req.method} is not allowed; webhooks are sent with POST`, { allow: 'POST' }), undefined, true);
  // Every byte held is reserved in the in-flight budget (issue #11), and released however this ends.
  const hold = ctx.inflight.open(trigger.id);
  const declared = declaredLength(req);
  // Large bodies for a trigger whose HMAC can be checked as they stream are not held whole while
  // unverified; the header-only checks before it run first, so a request failing them is refused
  // unread. Small bodies (the usual webhook) take the plain buffered path and pay nothing for this.
  if (!trigger.streamingAuth || (declared !== undefined && (declared <= IN_MEMORY_UNVERIFIED_BYTES || declared > trigger.maxBodyBytes))) {
    try {
      readBodyThen(req, trigger.maxBodyBytes, hold, (read) => afterRead(ctx, trigger, triggerId, req, res, target, hold, receivedAtMs, started, read));
    } catch (error) {
      hold.release();
      throw error;
    }
  } else {
    readStreamingBody(ctx, trigger.streamingAuth, trigger.maxBodyBytes, req, target, hold, receivedAtMs).then(
      (read) => afterRead(ctx, trigger, triggerId, req, res, target, hold, receivedAtMs, started, read),
      (error: unknown) => {
        hold.release();
        answerFailure(ctx, res, target.pathname, error);
      },
    );
  }
  return undefined;
}

/** Handles the read body and releases its hold once answered, however that ends. */
function afterRead(ctx: HttpContext, trigger: CompiledTrigger, triggerId: string, req: IncomingMessage, res: ServerResponse, target: RequestTarget, hold: BudgetHold, receivedAtMs: number, started: number, read: VerifiedBodyRead): void {
  let pending: Promise<void> | undefined;
  try {
    pending = handleRead(ctx, trigger, triggerId, req, res, target, hold, receivedAtMs, started, read);
  } catch (error) {
    hold.release();
    answerFailure(ctx, res, target.pathname, error);
    return;
  }
  if (pending === undefined) hold.release();
  else {
    pending.then(
      () => hold.release(),
      (error: unknown) => {
        hold.release();
        answerFailure(ctx, res, target.pathname, error);
      },
    );
  }
}

/** A promise only while something is still to come (a store write, a check that fetches). */
function handleRead(ctx: HttpContext, trigger: CompiledTrigger, triggerId: string, req: IncomingMessage, res: ServerResponse, target: RequestTarget, hold: BudgetHold, receivedAtMs: number, started: number, read: VerifiedBodyRead): Promise<void> | undefined {
  if (!read.ok) {
    if (read.reason === 'aborted') return undefined;
    if (read.reason === 'overloaded') {
      refuseOverloaded(ctx, res, trigger.id, hold.refusedBy ?? 'inflight_bytes');
      return undefined;
    }
    if (read.reason === 'rejected') return refuseEarly(ctx, trigger, triggerId, req, res, target, receivedAtMs, read.rejection, read.sizeBytes);
    return refuseEarly(ctx, trigger, triggerId, req, res, target, receivedAtMs, reject('body_too_large', `body is larger than this trigger's limit of ${trigger.maxBodyBytes} bytes`));
  }
  const raw = toRawRequest(req, target, read.body, receivedAtMs, ctx.trustProxy);
  // The revision that judges this request, whatever changes while it is handled.
  const request = new PendingRecord(trigger.id, raw, ctx.redaction, { revision: trigger.revision });
  let delivered: HandledOutcome | Promise<HandledOutcome>;
  try {
    delivered = handleDelivery(ctx, trigger, raw, request, ctx.clock);
  } catch (error) {
    return failInternally(ctx, res, trigger, request, error, started);
  }
  if (delivered instanceof Promise) {
    return delivered.then(
      (handled) => answer(ctx, res, trigger, request, handled, started),
      (error: unknown) => failInternally(ctx, res, trigger, request, error, started),
    );
  }
  answer(ctx, res, trigger, request, delivered, started);
  return undefined;
}

function answer(ctx: HttpContext, res: ServerResponse, trigger: CompiledTrigger, request: PendingRecord, handled: HandledOutcome, started: number): void {
  const sent = sendResponseSpec(res, handled.answer, request.requestId);
  const totalMs = performance.now() - started;
  ctx.onAnswered?.(trigger, handled.outcome, totalMs / 1000);
  // Only a request with a line of its own has somewhere to keep its answer.
  if (handled.logged !== false) ctx.rejections.recordAnswer({ requestId: request.requestId, answeredMs: totalMs, answer: sentAnswer(sent, handled.stages, totalMs, ctx.redaction) });
}

/**
 * A request refused before its body was read, or while it streamed (a forged large body): its
 * body is not kept. `sizeBytes`: what was read before the refusal, else the declared length.
 * `unread`: refused on its headers alone (unknown trigger, method). Such a request keeps its
 * connection when its declared body is small — Node discards it, and a sender (or a flood) need
 * not reconnect for every refusal; otherwise Connection: close stops Node from draining it.
 */
async function refuseEarly(ctx: HttpContext, trigger: CompiledTrigger | undefined, triggerId: string, req: IncomingMessage, res: ServerResponse, target: RequestTarget, receivedAtMs: number, rejection: Rejection, sizeBytes = declaredLength(req) ?? 0, unread = false): Promise<void> {
  const raw = toRawRequest(req, target, EMPTY_BODY, receivedAtMs, ctx.trustProxy);
  const request = new PendingRecord(triggerId.slice(0, 128), raw, ctx.redaction, { revision: trigger?.revision, unreadSizeBytes: sizeBytes });
  await logRefusal(ctx, request, rejection, trigger ? 'anonymous' : 'unknown-trigger');
  ctx.onRefusedEarly?.(trigger?.id ?? 'unknown', rejection.code);
  sendResponseSpec(res, rejectionAnswer(rejection), request.requestId, !(unread && drainable(req)));
}

/** Unread bodies up to this size are discarded by Node on a kept connection; larger or chunked ones close it. */
const DRAINABLE_BYTES = 16 * 1024;

function drainable(req: IncomingMessage): boolean {
  const declared = declaredLength(req);
  if (declared !== undefined) return declared <= DRAINABLE_BYTES;
  // Neither Content-Length nor Transfer-Encoding: no body at all.
  return req.headers['transfer-encoding'] === undefined;
}

const EMPTY_BODY = Buffer.alloc(0);

/** The most of an answer's body the trigger log keeps. */
const ANSWER_BODY_BYTES = 4096;

/** The answer as the trigger log keeps it: credential headers redacted, the body cut at 4 KiB. */
function sentAnswer(sent: SentResponse, stages: HandledOutcome['stages'], totalMs: number, redaction: Redaction): SentAnswer {
  const headers: Record<string, string> = {};
  for (const name in sent.headers) {
    const lower = name.toLowerCase();
    headers[lower] = isCredentialHeader(redaction, lower) ? REDACTED : sent.headers[name]!;
  }
  const body = sent.body.length * 3 > ANSWER_BODY_BYTES && Buffer.byteLength(sent.body) > ANSWER_BODY_BYTES ? Buffer.from(sent.body).subarray(0, ANSWER_BODY_BYTES).toString('utf8') : sent.body;
  return { status: sent.status, headers, body, stages: { ...stages, total_ms: totalMs } };
}

async function readStreamingBody(ctx: HttpContext, streamingAuth: StreamingAuth, maxBodyBytes: number, req: IncomingMessage, target: RequestTarget, hold: BudgetHold, receivedAtMs: number): Promise<VerifiedBodyRead> {
  const begun = await streamingAuth(toRawRequest(req, target, EMPTY_BODY, receivedAtMs, ctx.trustProxy), ctx.clock);
  if (!begun.ok) return { ok: false, reason: 'rejected', rejection: begun.rejection, sizeBytes: 0 };
  return readBodyVerifying(req, maxBodyBytes, hold, begun.value);
}

/** How long the 500 path waits to learn whether its request has a line: the sender waits for its answer meanwhile. */
const LOOKUP_MS = 2_000;

/**
 * Whether the request has a line (lines handed to the store but not committed are waited for, so
 * they are seen too). 'unknown' past LOOKUP_MS: a store that does not answer (an unreachable
 * PostgreSQL) would not take a line either, and the 500 must not wait on it.
 */
async function alreadyLogged(ctx: HttpContext, requestId: string): Promise<boolean | 'unknown'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'unknown'>((resolve) => (timer = setTimeout(resolve, LOOKUP_MS, 'unknown')));
  try {
    const look = (async () => {
      await ctx.rejections.flush();
      return (await ctx.store.getRequest(requestId)) !== undefined;
    })();
    return await Promise.race([look, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A bug or a failing store: a 500 that the sender can quote (X-Request-Id), the operator can find
 * in the service log, and — when the store still answers — the trigger log shows (issue #11).
 */
async function failInternally(ctx: HttpContext, res: ServerResponse, trigger: CompiledTrigger, request: PendingRecord, error: unknown, started: number): Promise<void> {
  // Not "nothing was launched": a failure after the store began its commit (a failed fdatasync)
  // may leave the request on disk, launched after a restart; the sender's retry is then a repeat.
  const rejection = reject('internal_error', `hooklaunch failed while handling request ${request.requestId}; whether it was recorded is unknown: retry (a trigger that deduplicates recognises a repeat) or look it up in the trigger log`);
  ctx.logger.error({ err: error, triggerId: trigger.id, requestId: request.requestId }, 'request failed');
  let hasLine = false;
  try {
    // Its commit may have reached the disk (the line is there): a second line under the same id
    // would break the unique request id and fail every request of the group commit it shares.
    const logged = await alreadyLogged(ctx, request.requestId);
    if (logged === 'unknown') ctx.logger.error({ triggerId: trigger.id, requestId: request.requestId }, `the store did not say within ${LOOKUP_MS} ms whether the failed request is in the trigger log; not logged again`);
    else if (!logged) await ctx.rejections.record(request, { outcome: 'rejected', status: rejection.status, code: rejection.code, message: rejection.message }, 'failure');
    hasLine = logged !== 'unknown';
  } catch (recordError) {
    ctx.logger.error({ err: recordError, triggerId: trigger.id, requestId: request.requestId }, 'the failed request could not be written to the trigger log');
  }
  ctx.onRefusedEarly?.(trigger.id, rejection.code);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const sent = sendResponseSpec(res, rejectionAnswer(rejection), request.requestId, true);
  // The line keeps what the sender got: an accepted line that stands after a failure shows its 500.
  const totalMs = performance.now() - started;
  if (hasLine) ctx.rejections.recordAnswer({ requestId: request.requestId, answeredMs: totalMs, answer: sentAnswer(sent, {}, totalMs, ctx.redaction) });
}
