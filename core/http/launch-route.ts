/**
 * POST /api/v0/launch/<trigger-id>/ — check, store durably, answer. Served on node:http directly:
 * this is the hot path, and the sender's deadline (Slack 3 s, GitHub 10 s) is what counts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Delivery, ResponseSpec } from '../connector.js';
import { uuidv7 } from '../ids.js';
import { contentTypeOf } from '../request/raw-request.js';
import { reject, type Rejection } from '../reject.js';
import type { RequestRecord } from '../store/store.js';
import type { CompiledTrigger } from '../triggers/compile-trigger.js';
import type { HttpContext } from './context.js';
import { readBody } from './read-body.js';
import { requestRecord } from './request-record.js';
import { sendLaunchResponse, sendRejection, sendResponseSpec } from './respond.js';
import { runChecks } from './run-checks.js';
import { toRawRequest } from './to-raw-request.js';

const NO_REDACTION = { sensitiveHeaders: new Set(['authorization', 'cookie']), sensitiveQuery: new Set<string>() };

export async function handleLaunch(ctx: HttpContext, triggerId: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const receivedAtMs = ctx.clock.now();
  const trigger = ctx.triggers.get(triggerId);
  const refuseEarly = async (rejection: Rejection, redaction = trigger ?? NO_REDACTION): Promise<void> => {
    // The body is not read: Connection: close stops Node from draining it.
    const record = requestRecord(triggerId.slice(0, 128), toRawRequest(req, url, Buffer.alloc(0), receivedAtMs), redaction);
    await ctx.store.recordUnlaunched({ ...record, outcome: 'rejected', status: rejection.status, code: rejection.code, message: rejection.message });
    sendRejection(res, rejection, { connection: 'close' });
  };
  if (!trigger) return refuseEarly(reject('trigger_not_found', `no trigger with id ${JSON.stringify(triggerId.slice(0, 128))}`));
  if (req.method !== 'POST') {
    return refuseEarly(reject('method_not_allowed', `${req.method} is not allowed; webhooks are sent with POST`, { allow: 'POST' }));
  }
  const read = await readBody(req, trigger.maxBodyBytes);
  if (!read.ok) {
    if (read.reason === 'aborted') return;
    return refuseEarly(reject('body_too_large', `body is larger than this trigger's limit of ${trigger.maxBodyBytes} bytes`));
  }
  const raw = toRawRequest(req, url, read.body, receivedAtMs);
  const record = requestRecord(trigger.id, raw, trigger);
  const refuse = async (rejection: Rejection): Promise<void> => {
    await ctx.store.recordUnlaunched({ ...record, outcome: 'rejected', status: rejection.status, code: rejection.code, message: rejection.message });
    ctx.logger.info({ triggerId: trigger.id, requestId: record.requestId, code: rejection.code, reason: rejection.message }, 'request rejected');
    sendRejection(res, rejection);
  };

  const unauthenticated = await runChecks(trigger.authChecks, raw, ctx.clock);
  if (unauthenticated && !unauthenticated.ok) return refuse(unauthenticated.rejection);

  let delivery: Delivery<unknown> | undefined;
  if (trigger.connector) {
    const { connector, params } = trigger.connector;
    const decoded = trigger.connector.delivery(raw);
    if (!decoded.ok) return refuse(decoded.rejection);
    delivery = decoded.value;
    const handshake = connector.handshake?.(delivery, params);
    if (handshake) return answer(ctx, res, record, 'handshake', `${connector.id} ${delivery.kind} answered`, handshake);
    const reason = connector.filter?.(delivery, params);
    if (reason !== undefined) return ignore(ctx, res, trigger, record, delivery, reason);
  }
  const filtered = await runChecks(trigger.filterChecks, raw, ctx.clock);
  if (filtered && !filtered.ok) {
    // Providers retry (or disable the hook) on 4xx: a connector answers a filtered delivery with 2xx.
    if (delivery && filtered.rejection.code === 'filtered_out') return ignore(ctx, res, trigger, record, delivery, filtered.rejection.message);
    return refuse(filtered.rejection);
  }

  let dedupe: { key: string; windowMs: number } | undefined;
  if (trigger.dedupe) {
    const key = trigger.dedupe.locate(raw);
    if (!key.ok) return refuse(key.rejection);
    if (key.value !== undefined) dedupe = { key: key.value, windowMs: trigger.dedupe.windowMs };
  }
  const runId = uuidv7(receivedAtMs);
  const actions = trigger.resolveActions(raw, runId);
  if (!actions.ok) return refuse(actions.rejection);

  const outcome = await ctx.store.accept({
    request: record,
    runId,
    payload: raw.body,
    contentType: contentTypeOf(raw) || 'application/octet-stream',
    actions: actions.value,
    dedupe,
    rateLimits: trigger.rateLimits,
  });
  switch (outcome.kind) {
    case 'accepted':
    case 'duplicate': {
      if (outcome.kind === 'accepted') ctx.onAccepted();
      const status = outcome.kind === 'duplicate' ? 200 : undefined;
      if (trigger.response || !trigger.connector || !delivery) return sendLaunchResponse(res, trigger.response, outcome.runId, status);
      const spec = trigger.connector.connector.accepted(outcome.runId, delivery, trigger.connector.params);
      return sendResponseSpec(res, status === undefined ? spec : { ...spec, status });
    }
    case 'rate_limited':
      return sendRejection(res, reject('rate_limited', outcome.message, { 'retry-after': String(outcome.retryAfterSeconds) }));
  }
}

async function answer(ctx: HttpContext, res: ServerResponse, record: RequestRecord, outcome: 'handshake' | 'ignored', message: string, spec: ResponseSpec, code?: 'filtered_out'): Promise<void> {
  await ctx.store.recordUnlaunched({ ...record, outcome, status: spec.status, code, message });
  sendResponseSpec(res, spec);
}

function ignore(ctx: HttpContext, res: ServerResponse, trigger: CompiledTrigger, record: RequestRecord, delivery: Delivery<unknown>, reason: string): Promise<void> {
  const { connector, params } = trigger.connector!;
  ctx.logger.info({ triggerId: trigger.id, requestId: record.requestId, reason }, 'delivery ignored');
  return answer(ctx, res, record, 'ignored', reason, connector.ignored(reason, delivery, params), 'filtered_out');
}
