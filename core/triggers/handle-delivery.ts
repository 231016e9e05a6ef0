/**
 * What happens to a request once its trigger is known and its body read: checks, connector
 * handshakes and filters, deduplication, the durable accept, and the answer. Transport-free, so
 * the HTTP route and replay share it.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Delivery, ResponseSpec } from '../connector.js';
import { uuidv7 } from '../ids.js';
import { contentTypeOf, type RawRequest } from '../request/raw-request.js';
import { boundedMessage, reject, type Rejection, type Verdict } from '../reject.js';
import { duplicateMessage } from '../store/accept-rules.js';
import type { BatchJoin, Deduplicate, LogOutcome, TriggerLog } from '../store/store.js';
import type { Redaction } from '../trigger-log/redaction.js';
import type { PendingRecord } from '../trigger-log/request-record.js';
import type { Logged, RejectionLog, Sender, Unlaunched } from '../trigger-log/rejection-log.js';
import { batchHeaders, launchAnswer, rejectionAnswer } from './answers.js';
import type { CompiledTrigger } from './compile-trigger.js';
import { runChecks } from './run-checks.js';

export interface DeliveryContext {
  readonly store: TriggerLog;
  /** Where requests that launched nothing are logged, at a bounded cost for anonymous ones. */
  readonly rejections: RejectionLog;
  /** What of any request is never logged: every trigger's and connector's credentials. */
  readonly redaction: Redaction;
  readonly logger: Logger;
  /** Called after a run is committed, to wake the launch worker. */
  readonly onAccepted: () => void;
  /** Called after a delivery joined a batch: when that batch closes at the latest, and whether it is full (closes now). */
  readonly onBatched?: ((closesAtMs: number, full: boolean) => void) | undefined;
  /** Told of every outcome (metrics). */
  readonly onOutcome?: (trigger: CompiledTrigger, outcome: HandledOutcome) => void;
  /** Told how long the signature, token and timestamp checks took (metrics). */
  readonly onVerified?: (trigger: CompiledTrigger, seconds: number) => void;
}

export interface HandledOutcome {
  readonly outcome: LogOutcome;
  readonly code?: string | undefined;
  readonly runId?: string | undefined;
  readonly answer: ResponseSpec;
  /** Milliseconds spent in the checks and in the store's accept, for the ones reached. */
  readonly stages?: { readonly verify_ms?: number | undefined; readonly store_ms?: number | undefined } | undefined;
  /** Whether the request has a line of its own in the trigger log (not folded into an earlier one, nor dropped): its answer is kept there. */
  readonly logged?: boolean | undefined;
}

/**
 * `clock` decides the time windows (timestamps, JWT expiry); replays pass the original arrival time.
 * Synchronous up to the authentication verdict while the checks are: a forged request refused and
 * folded into an earlier line (most of a flood) is answered without a promise of its own (issue #14).
 */
export function handleDelivery(ctx: DeliveryContext, trigger: CompiledTrigger, raw: RawRequest, request: PendingRecord, clock: Clock): HandledOutcome | Promise<HandledOutcome> {
  // Module-level steps below, not closures: this runs for every request.
  const stages: Stages = {};
  const verifying = performance.now();
  const checked = runChecks(trigger.authChecks, raw, clock);
  if (checked instanceof Promise) return checked.then((verdict) => verified(ctx, trigger, raw, request, clock, stages, verifying, verdict));
  return verified(ctx, trigger, raw, request, clock, stages, verifying, checked);
}

function verified(ctx: DeliveryContext, trigger: CompiledTrigger, raw: RawRequest, request: PendingRecord, clock: Clock, stages: Stages, verifying: number, unauthenticated: Verdict<void> | undefined): HandledOutcome | Promise<HandledOutcome> {
  stages.verify_ms = performance.now() - verifying;
  ctx.onVerified?.(trigger, stages.verify_ms / 1000);
  // Past the authentication checks the sender is known, unless the trigger checks nothing.
  if (unauthenticated && !unauthenticated.ok) return refuse(ctx, trigger, request, stages, unauthenticated.rejection, 'anonymous');
  return authenticated(ctx, trigger, raw, request, clock, stages);
}

/** Everything after the authentication checks: connector, filters, dedupe, the durable accept. */
async function authenticated(ctx: DeliveryContext, trigger: CompiledTrigger, raw: RawRequest, request: PendingRecord, clock: Clock, stages: Stages): Promise<HandledOutcome> {
  const sender: Sender = trigger.authenticates ? 'authenticated' : 'anonymous';

  let delivery: Delivery<unknown> | undefined;
  const binding = trigger.connector;
  if (binding) {
    const decoded = binding.delivery(raw);
    if (!decoded.ok) return refuse(ctx, trigger, request, stages, decoded.rejection, sender);
    delivery = decoded.value;
    const handshake = binding.connector.handshake?.(delivery, binding.params);
    if (handshake) return answered(ctx, trigger, request, stages, sender, 'handshake', `${binding.connector.id} ${delivery.kind} answered`, handshake);
  }
  // Only an authenticated sender learns that the trigger is paused; a handshake is still answered
  // so a provider's setup check passes while paused.
  if (trigger.paused) {
    const rejection = reject('trigger_paused', 'this trigger is paused; nothing was launched');
    const answer = binding && delivery ? (binding.connector.paused?.(delivery, binding.params) ?? rejectionAnswer(rejection)) : rejectionAnswer(rejection);
    const logged = await logRefusal(ctx, request, { ...rejection, status: answer.status }, sender);
    return done(ctx, trigger, { outcome: 'rejected', code: rejection.code, answer, logged: logged === 'logged', stages });
  }
  if (binding && delivery) {
    const reason = binding.connector.filter?.(delivery, binding.params);
    if (reason !== undefined) return answered(ctx, trigger, request, stages, sender, 'ignored', reason, binding.connector.ignored(boundedMessage(reason), delivery, binding.params));
  }
  const filterChecked = runChecks(trigger.filterChecks, raw, clock);
  const filtered = filterChecked instanceof Promise ? await filterChecked : filterChecked;
  if (filtered && !filtered.ok) {
    // Providers retry (or disable the hook) on 4xx: a connector answers a filtered delivery with 2xx.
    if (binding && delivery && filtered.rejection.code === 'filtered_out') {
      return answered(ctx, trigger, request, stages, sender, 'ignored', filtered.rejection.message, binding.connector.ignored(boundedMessage(filtered.rejection.message), delivery, binding.params));
    }
    return refuse(ctx, trigger, request, stages, filtered.rejection, sender);
  }

  let dedupe: Deduplicate | undefined;
  if (trigger.dedupe) {
    const keys = trigger.dedupe.locate(raw);
    if (!keys.ok) return refuse(ctx, trigger, request, stages, keys.rejection, sender);
    // Keys are stored as text, which holds no NUL on PostgreSQL: one would fail the whole group commit, every delivery in it.
    const nul = keys.value.find((k) => k.key.includes('\0'));
    if (nul) return refuse(ctx, trigger, request, stages, reject('payload_invalid', `deduplicate: the ${nul.what} contains a NUL byte (\\0), which the store cannot hold`), sender);
    if (keys.value.length > 0) dedupe = { keys: keys.value, windowMs: trigger.dedupe.windowMs };
  }
  let batch: BatchJoin | undefined;
  if (trigger.batch) {
    const key = trigger.batch.key(raw);
    if (!key.ok) return refuse(ctx, trigger, request, stages, key.rejection, sender);
    batch = { key: key.value, newBatchId: uuidv7(request.receivedAtMs), windowMs: trigger.batch.windowMs, quietMs: trigger.batch.quietMs, maxItems: trigger.batch.maxItems, maxBytes: trigger.batch.maxBytes };
  }
  const runId = uuidv7(request.receivedAtMs);
  // For a batched delivery these are what its batch launches if this delivery opens it.
  const actions = trigger.resolveActions(raw, runId);
  if (!actions.ok) return refuse(ctx, trigger, request, stages, actions.rejection, sender);

  const storing = performance.now();
  const accepted = await ctx.store.accept({
    request: request.complete(),
    runId,
    payload: raw.body,
    contentType: contentTypeOf(raw) || 'application/octet-stream',
    actions: actions.value,
    dedupe,
    rateLimits: trigger.rateLimits,
    answerStatus: trigger.response?.status,
    batch,
  });
  stages.store_ms = performance.now() - storing;
  if (accepted.kind === 'rate_limited') return refuse(ctx, trigger, request, stages, reject('rate_limited', accepted.message, { 'retry-after': String(accepted.retryAfterSeconds) }), sender);
  let logged = true;
  if (accepted.kind === 'accepted') ctx.onAccepted();
  // A full batch, or one sealed by its bytes, closes now; any other waits for its time (waking the closer for
  // every new batch cost a pass over all open ones per delivery of a new key).
  else if (accepted.kind === 'batched') ctx.onBatched?.(accepted.closesAtMs, accepted.dueNow === true);
  else {
    const what = { outcome: 'duplicate', status: 200, message: duplicateMessage(accepted.what), runId: accepted.runId, withoutBody: true } as const;
    logged = (await logUnlaunched(ctx, request, what, 'duplicate', 'duplicate delivery')) === 'logged';
  }
  const status = accepted.kind === 'duplicate' ? 200 : undefined;
  const joined = accepted.kind === 'batched' ? accepted : undefined;
  let answer: ResponseSpec;
  if (trigger.response || !binding || !delivery) answer = launchAnswer(trigger.response, accepted.runId, status, joined);
  else {
    const spec = binding.connector.accepted(accepted.runId, delivery, binding.params);
    answer = status === undefined ? spec : { ...spec, status };
    if (joined) answer = { ...answer, headers: { ...answer.headers, ...batchHeaders(joined) } };
  }
  return done(ctx, trigger, { outcome: accepted.kind, runId: accepted.runId, answer, logged, stages });
}

type Stages = { verify_ms?: number; store_ms?: number };

function done(ctx: DeliveryContext, trigger: CompiledTrigger, handled: HandledOutcome): HandledOutcome {
  ctx.onOutcome?.(trigger, handled);
  return handled;
}

/** Not async: a refusal folded into an earlier line (most of a flood) is answered without a promise and its ticks. */
function refuse(ctx: DeliveryContext, trigger: CompiledTrigger, request: PendingRecord, stages: Stages, rejection: Rejection, sender: Sender): HandledOutcome | Promise<HandledOutcome> {
  const logged = logRefusal(ctx, request, rejection, sender);
  if (typeof logged === 'string') return refused(ctx, trigger, stages, rejection, logged);
  return logged.then((written) => refused(ctx, trigger, stages, rejection, written));
}

function refused(ctx: DeliveryContext, trigger: CompiledTrigger, stages: Stages, rejection: Rejection, logged: Logged): HandledOutcome {
  return done(ctx, trigger, { outcome: 'rejected', code: rejection.code, answer: rejectionAnswer(rejection), logged: logged === 'logged', stages });
}

async function answered(ctx: DeliveryContext, trigger: CompiledTrigger, request: PendingRecord, stages: Stages, sender: Sender, outcome: 'handshake' | 'ignored', message: string, answer: ResponseSpec): Promise<HandledOutcome> {
  const code = outcome === 'ignored' ? 'filtered_out' : undefined;
  const logged = await logUnlaunched(ctx, request, { outcome, status: answer.status, code, message }, sender, outcome === 'ignored' ? 'delivery ignored' : 'handshake answered');
  return done(ctx, trigger, { outcome, code, answer, logged: logged === 'logged', stages });
}

/**
 * The one way a refused request is logged, whether refused before its body was read (unknown
 * trigger, method, size) or after: the trigger log line, and a service log line when it was written.
 */
export function logRefusal(ctx: Pick<DeliveryContext, 'rejections' | 'logger'>, request: PendingRecord, rejection: Rejection, sender: Sender): Logged | Promise<Logged> {
  return logUnlaunched(ctx, request, { outcome: 'rejected', status: rejection.status, code: rejection.code, message: rejection.message }, sender, 'request rejected');
}

/** What `record` tells: at once for an aggregated or dropped request (no line of its own), else once its line is handed over. */
function logUnlaunched(ctx: Pick<DeliveryContext, 'rejections' | 'logger'>, request: PendingRecord, what: Unlaunched, sender: Sender, line: string): Logged | Promise<Logged> {
  const logged = ctx.rejections.record(request, what, sender);
  // Aggregated repeats and rows past the budget stay out of the service log too: a flood of
  // forged requests must not become a flood of log lines. Debug: the trigger log has every one,
  // and a line per request is a cost on the hot path.
  if (typeof logged === 'string') return told(ctx, request, what, line, logged);
  return logged.then((written) => told(ctx, request, what, line, written));
}

function told(ctx: Pick<DeliveryContext, 'logger'>, request: PendingRecord, what: Unlaunched, line: string, logged: Logged): Logged {
  if (logged === 'logged' && ctx.logger.isLevelEnabled('debug')) ctx.logger.debug({ triggerId: request.triggerId, requestId: request.requestId, outcome: what.outcome, code: what.code, reason: boundedMessage(what.message) }, line);
  return logged;
}
