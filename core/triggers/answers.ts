/** The answers hooklaunch gives, as transport-free specs (sent by the HTTP layer, reported by replay). */
import type { ResponseConfig } from '../config/schema.js';
import type { ResponseSpec } from '../connector.js';
import type { Rejection } from '../reject.js';

/**
 * The last rejection answered and its answer, kept for the next request: a check refuses every
 * forgery sent to a trigger with one rejection made when the trigger was compiled (a signature
 * mismatch), so a flood's answer is built and serialized once, not per request (issue #14).
 */
let kept: { readonly rejection: Rejection; readonly answer: ResponseSpec; serialized?: { readonly body: string; readonly bytes: number } } | undefined;

/** `{"error": {"code", "message"}}` with the rejection's status and headers. */
export function rejectionAnswer(rejection: Rejection): ResponseSpec {
  if (kept?.rejection === rejection) return kept.answer;
  const answer = { status: rejection.status, json: { error: { code: rejection.code, message: rejection.message } }, ...(rejection.headers && { headers: rejection.headers }) };
  kept = { rejection, answer };
  return answer;
}

/** The JSON text of `answer` and its UTF-8 length when it is the kept rejection answer (serialized on first use); undefined for any other. */
export function keptAnswerBody(answer: ResponseSpec): { readonly body: string; readonly bytes: number } | undefined {
  if (kept?.answer !== answer) return undefined;
  if (!kept.serialized) {
    const body = JSON.stringify(answer.json);
    kept.serialized = { body, bytes: Buffer.byteLength(body) };
  }
  return kept.serialized;
}

/** Where a batched delivery went: its batch, its 1-based place in it, and when the batch launches at the latest. */
export interface BatchPlace {
  readonly batchId: string;
  readonly position: number;
  readonly closesAtMs: number;
}

export function batchHeaders(place: BatchPlace): Record<string, string> {
  return { 'x-hooklaunch-batch-id': place.batchId, 'x-hooklaunch-batch-position': String(place.position) };
}

/**
 * The trigger's success response with `{run_id}` filled in (inside JSON string values only). A
 * batched delivery's run id is its batch's run; the default answer then says where in which batch.
 */
export function launchAnswer(response: ResponseConfig | undefined, runId: string, statusOverride?: number, batch?: BatchPlace): ResponseSpec {
  const status = statusOverride ?? response?.status ?? 200;
  const headers = { 'x-hooklaunch-run-id': runId, ...(batch && batchHeaders(batch)) };
  if (response?.text !== undefined) return { status, headers, text: response.text.replaceAll('{run_id}', runId) };
  if (response?.json !== undefined) return { status, headers, json: fillRunId(response.json, runId) };
  const json = batch ? { run_id: runId, batch: { id: batch.batchId, position: batch.position, closes_by: new Date(batch.closesAtMs).toISOString() } } : { run_id: runId };
  return { status, headers, json };
}

function fillRunId(value: unknown, runId: string): unknown {
  if (typeof value === 'string') return value.replaceAll('{run_id}', runId);
  if (Array.isArray(value)) return value.map((item) => fillRunId(item, runId));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fillRunId(item, runId)]));
  }
  return value;
}
