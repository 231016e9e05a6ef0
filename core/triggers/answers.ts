/** The answers hooklaunch gives, as transport-free specs (sent by the HTTP layer, reported by replay). */
import type { ResponseConfig } from '../config/schema.js';
import type { ResponseSpec } from '../connector.js';
import type { Rejection } from '../reject.js';

/** `{"error": {"code", "message"}}` with the rejection's status and headers. */
export function rejectionAnswer(rejection: Rejection): ResponseSpec {
  return { status: rejection.status, json: { error: { code: rejection.code, message: rejection.message } }, ...(rejection.headers && { headers: rejection.headers }) };
}

/** The trigger's success response with `{run_id}` filled in (inside JSON string values only). */
export function launchAnswer(response: ResponseConfig | undefined, runId: string, statusOverride?: number): ResponseSpec {
  const status = statusOverride ?? response?.status ?? 200;
  const headers = { 'x-hooklaunch-run-id': runId };
  if (response?.text !== undefined) return { status, headers, text: response.text.replaceAll('{run_id}', runId) };
  return { status, headers, json: response?.json === undefined ? { run_id: runId } : fillRunId(response.json, runId) };
}

function fillRunId(value: unknown, runId: string): unknown {
  if (typeof value === 'string') return value.replaceAll('{run_id}', runId);
  if (Array.isArray(value)) return value.map((item) => fillRunId(item, runId));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fillRunId(item, runId)]));
  }
  return value;
}
