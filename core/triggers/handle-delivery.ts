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
import { boundedMessage, reject, type Rejection } from '../reject.js';
import { duplicateMessage } from '../store/accept-rules.js';
import type { Deduplicate, RequestRecord, Store, UnlaunchedRequest } from '../store/store.js';
import type { Redaction } from '../trigger-log/redaction.js';
import type { RejectionLog, Sender } from '../trigger-log/rejection-log.js';
import { launchAnswer, rejectionAnswer } from './answers.js';
import type { CompiledTrigger } from './compile-trigger.js';
import { runChecks } from './run-checks.js';

export interface DeliveryContext {
  readonly store: Store;
  /** Where requests that launched nothing are logged, at a bounded cost for anonymous ones. */
  readonly rejections: RejectionLog;
  /** What of any request is never logged: every trigger's and connector's credentials. */
  readonly redaction: Redaction;
  readonly logger: Logger;
  /** Called after a run is committed, to wake the launch worker. */
  readonly onAccepted: () => void;
  /** Told of every outcome (metrics). */
  readonly onOutcome?: (trigger: CompiledTrigger, outcome: HandledOutcome) => void;
  /** Told how long the signature, token and timestamp checks took (metrics). */
  readonly onVerified?: (trigger: CompiledTrigger, seconds: number) => void;
}

export interface HandledOutcome {
  readonly outcome: 'accepted' | 'duplicate' | 'rejected' | 'handshake' | 'ignored';
  readonly code?: string | undefined;
  readonly runId?: string | undefined;
  readonly answer: ResponseSpec;
  /** Milliseconds spent in the checks and in the store's accept, for the ones reached. */
  readonly stages?: { readonly verify_ms?: number | undefined; readonly store_ms?: number | undefined } | undefined;
}

/** `clock` decides the time windows (timestamps, JWT expiry); replays pass the original arrival time. */
export async function handleDelivery(ctx: DeliveryContext, trigger: CompiledTrigger, raw: RawRequest, record: RequestRecord, clock: Clock): Promise<HandledOutcome> {
  const stages: { verify_ms?: number; store_ms?: number } = {};
  const done = (handled: HandledOutcome): HandledOutcome => {
    const outcome = { ...handled, stages };
    ctx.onOutcome?.(trigger, outcome);
    return outcome;
  };
  // Past the authentication checks the sender is known, unless the trigger checks nothing.
  let sender: Sender = 'anonymous';
  const refuse = async (rejection: Rejection): Promise<HandledOutcome> => {
    await logRefusal(ctx, record, rejection, sender);
    return done({ outcome: 'rejected', code: rejection.code, answer: rejectionAnswer(rejection) });
  };
  const answered = async (outcome: 'handshake' | 'ignored', message: string, answer: ResponseSpec): Promise<HandledOutcome> => {
    const code = outcome === 'ignored' ? 'filtered_out' : undefined;
    await logUnlaunched(ctx, { ...record, outcome, status: answer.status, code, message }, sender, outcome === 'ignored' ? 'delivery ignored' : 'handshake answered');
    return done({ outcome, code, answer });
  };

  const verifying = performance.now();
  const unauthenticated = await runChecks(trigger.authChecks, raw, clock);
  stages.verify_ms = performance.now() - verifying;
  ctx.onVerified?.(trigger, stages.verify_ms / 1000);
  if (unauthenticated && !unauthenticated.ok) return refuse(unauthenticated.rejection);
  if (trigger.authenticates) sender = 'authenticated';

  let delivery: Delivery<unknown> | undefined;
  const binding = trigger.connector;
  if (binding) {
    const decoded = binding.delivery(raw);
    if (!decoded.ok) return refuse(decoded.rejection);
    delivery = decoded.value;
    const handshake = binding.connector.handshake?.(delivery, binding.params);
    if (handshake) return answered('handshake', `${binding.connector.id} ${delivery.kind} answered`, handshake);
  }
  // Only an authenticated sender learns that the trigger is paused; a handshake is still answered
  // so a provider's setup check passes while paused.
  if (trigger.paused) {
    const rejection = reject('trigger_paused', 'this trigger is paused; nothing was launched');
    const answer = binding && delivery ? (binding.connector.paused?.(delivery, binding.params) ?? rejectionAnswer(rejection)) : rejectionAnswer(rejection);
    await logRefusal(ctx, record, { ...rejection, status: answer.status }, sender);
    return done({ outcome: 'rejected', code: rejection.code, answer });
  }
  if (binding && delivery) {
    const reason = binding.connector.filter?.(delivery, binding.params);
    if (reason !== undefined) return answered('ignored', reason, binding.connector.ignored(boundedMessage(reason), delivery, binding.params));
  }
  const filtered = await runChecks(trigger.filterChecks, raw, clock);
  if (filtered && !filtered.ok) {
    // Providers retry (or disable the hook) on 4xx: a connector answers a filtered delivery with 2xx.
    if (binding && delivery && filtered.rejection.code === 'filtered_out') {
      return answered('ignored', filtered.rejection.message, binding.connector.ignored(boundedMessage(filtered.rejection.message), delivery, binding.params));
    }
    return refuse(filtered.rejection);
  }

  let dedupe: Deduplicate | undefined;
  if (trigger.dedupe) {
    const keys = trigger.dedupe.locate(raw);
    if (!keys.ok) return refuse(keys.rejection);
    if (keys.value.length > 0) dedupe = { keys: keys.value, windowMs: trigger.dedupe.windowMs };
  }
  const runId = uuidv7(record.receivedAtMs);
  const actions = trigger.resolveActions(raw, runId);
  if (!actions.ok) return refuse(actions.rejection);

  const storing = performance.now();
  const accepted = await ctx.store.accept({
    request: record,
    runId,
    payload: raw.body,
    contentType: contentTypeOf(raw) || 'application/octet-stream',
    actions: actions.value,
    dedupe,
    rateLimits: trigger.rateLimits,
    answerStatus: trigger.response?.status,
  });
  stages.store_ms = performance.now() - storing;
  if (accepted.kind === 'rate_limited') return refuse(reject('rate_limited', accepted.message, { 'retry-after': String(accepted.retryAfterSeconds) }));
  if (accepted.kind === 'accepted') ctx.onAccepted();
  else {
    // Its body is the payload of the run it repeats: not kept again.
    const raw = record.raw && { ...record.raw, body: undefined };
    await logUnlaunched(ctx, { ...record, raw, outcome: 'duplicate', status: 200, message: duplicateMessage(accepted.what), runId: accepted.runId }, 'duplicate', 'duplicate delivery');
  }
  const status = accepted.kind === 'duplicate' ? 200 : undefined;
  let answer: ResponseSpec;
  if (trigger.response || !binding || !delivery) answer = launchAnswer(trigger.response, accepted.runId, status);
  else {
    const spec = binding.connector.accepted(accepted.runId, delivery, binding.params);
    answer = status === undefined ? spec : { ...spec, status };
  }
  return done({ outcome: accepted.kind, runId: accepted.runId, answer });
}

/**
 * The one way a refused request is logged, whether refused before its body was read (unknown
 * trigger, method, size) or after: the trigger log line, and a service log line when it was written.
 */
export async function logRefusal(ctx: Pick<DeliveryContext, 'rejections' | 'logger'>, record: RequestRecord, rejection: Rejection, sender: Sender): Promise<void> {
  await logUnlaunched(ctx, { ...record, outcome: 'rejected', status: rejection.status, code: rejection.code, message: rejection.message }, sender, 'request rejected');
}

async function logUnlaunched(ctx: Pick<DeliveryContext, 'rejections' | 'logger'>, unbounded: UnlaunchedRequest, sender: Sender, what: string): Promise<void> {
  // Filter reasons quote payload values: bounded like rejection messages.
  const entry = { ...unbounded, message: boundedMessage(unbounded.message) };
  const logged = await ctx.rejections.record(entry, sender);
  // Aggregated repeats and rows past the budget stay out of the service log too: a flood of
  // forged requests must not become a flood of log lines.
  if (logged === 'logged') ctx.logger.info({ triggerId: entry.triggerId, requestId: entry.requestId, outcome: entry.outcome, code: entry.code, reason: entry.message }, what);
}
