/**
 * POST /api/v0/launch/<trigger-id>/ — read, hand to the trigger, answer. Served on node:http
 * directly: this is the hot path, and the sender's deadline (Slack 3 s, GitHub 10 s) is what counts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { reject, type Rejection } from '../reject.js';
import { rejectionAnswer } from '../triggers/answers.js';
import { handleDelivery, logRefusal } from '../triggers/handle-delivery.js';
import type { HttpContext } from './context.js';
import { readBody } from './read-body.js';
import { requestRecord } from '../trigger-log/request-record.js';
import { sendResponseSpec } from './respond.js';
import { toRawRequest } from './to-raw-request.js';

export async function handleLaunch(ctx: HttpContext, triggerId: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const receivedAtMs = ctx.clock.now();
  const started = performance.now();
  const trigger = ctx.triggers.get(triggerId);
  const refuseEarly = async (rejection: Rejection): Promise<void> => {
    // The body is not read: Connection: close stops Node from draining it.
    const raw = toRawRequest(req, url, Buffer.alloc(0), receivedAtMs);
    // Nothing to replay without a body or a trigger: the raw request is not kept.
    const { raw: _capture, ...record } = requestRecord(triggerId.slice(0, 128), raw, trigger?.redaction ?? ctx.redaction);
    await logRefusal(ctx, record, rejection, trigger ? 'anonymous' : 'unknown-trigger');
    ctx.onRefusedEarly?.(trigger?.id ?? 'unknown', rejection.code);
    sendResponseSpec(res, { ...rejectionAnswer(rejection), headers: { ...rejection.headers, connection: 'close', 'x-request-id': record.requestId } });
  };
  if (!trigger) return refuseEarly(reject('trigger_not_found', `no trigger with id ${JSON.stringify(triggerId.slice(0, 128))}`));
  if (req.method !== 'POST') return refuseEarly(reject('method_not_allowed', `${req.method} is not allowed; webhooks are sent with POST`, { allow: 'POST' }));
  const read = await readBody(req, trigger.maxBodyBytes);
  if (!read.ok) {
    if (read.reason === 'aborted') return;
    return refuseEarly(reject('body_too_large', `body is larger than this trigger's limit of ${trigger.maxBodyBytes} bytes`));
  }
  const raw = toRawRequest(req, url, read.body, receivedAtMs);
  const record = requestRecord(trigger.id, raw, trigger.redaction);
  const handled = await handleDelivery(ctx, trigger, raw, record, ctx.clock);
  sendResponseSpec(res, { ...handled.answer, headers: { ...handled.answer.headers, 'x-request-id': record.requestId } });
  ctx.onAnswered?.(trigger, handled.outcome, (performance.now() - started) / 1000);
}
