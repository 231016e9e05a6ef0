/**
 * Replay: a logged request evaluated again against the current config — after fixing a secret
 * or a filter — and launched if it now passes. Time windows are judged as of its original arrival;
 * the new log line names the request it replays.
 */
import { fixedClock, type Clock } from '../clock.js';
import { reject, type Rejection } from '../reject.js';
import { PendingRecord } from '../trigger-log/request-record.js';
import type { RawRequest } from '../request/raw-request.js';
import type { CompiledTrigger } from './compile-trigger.js';
import type { TriggerSet } from './trigger-set.js';
import { handleDelivery, type DeliveryContext, type HandledOutcome } from './handle-delivery.js';

export interface ReplayContext extends DeliveryContext {
  readonly triggers: TriggerSet;
  readonly clock: Clock;
}

export type ReplayResult =
  | { readonly ok: true; readonly requestId: string; readonly replayOf: string; readonly handled: HandledOutcome }
  | { readonly ok: false; readonly rejection: Rejection };

/** Statuses of requests refused before their body was read: there is nothing to replay. */
const BODILESS = new Set([404, 405, 413]);

export async function replayRequest(ctx: ReplayContext, requestId: string): Promise<ReplayResult> {
  // A refusal's line is written just after its answer: one replayed at once must be there first.
  await ctx.rejections.flush();
  const stored = await ctx.store.getRequest(requestId);
  if (!stored) return { ok: false, rejection: reject('request_not_found', `no request ${requestId} in the trigger log (purged, or never logged)`) };
  const { entry, raw } = stored;
  if (BODILESS.has(entry.status) || raw.body === undefined) {
    return { ok: false, rejection: reject('not_replayable', `request ${requestId} was refused (${entry.code ?? entry.status}) before its body was read; there is nothing to replay`) };
  }
  if (raw.truncated) {
    return {
      ok: false,
      rejection: reject('not_replayable', `request ${requestId} was refused before it was authenticated, so only a sample of it was kept (${raw.body.length} of ${entry.sizeBytes} body bytes, capped headers); ask the sender to deliver it again`),
    };
  }
  const trigger = ctx.triggers.get(entry.triggerId);
  if (!trigger) return { ok: false, rejection: reject('not_replayable', `trigger ${entry.triggerId} is no longer in the config`) };
  const url = new URL(raw.target, 'http://replay.invalid');
  const request: RawRequest = {
    method: entry.method,
    path: url.pathname,
    headers: raw.headers,
    query: url.searchParams,
    body: raw.body,
    remoteAddress: entry.remoteAddress,
    receivedAtMs: ctx.clock.now(),
  };
  const pending = new PendingRecord(trigger.id, request, ctx.redaction, { replayOf: requestId, revision: trigger.revision });
  const handled = await handleDelivery(ctx, trigger, request, pending, fixedClock(entry.receivedAtMs));
  return { ok: true, requestId: pending.requestId, replayOf: requestId, handled };
}
