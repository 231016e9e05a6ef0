import type { ServerResponse } from 'node:http';
import type { ResponseConfig } from '../config/schema.js';
import type { ResponseSpec } from '../connector.js';
import type { Rejection } from '../reject.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** `{"error": {"code", "message"}}` with the rejection's status and headers. */
export function sendRejection(res: ServerResponse, rejection: Rejection, extraHeaders: Record<string, string> = {}): void {
  sendJson(res, rejection.status, { error: { code: rejection.code, message: rejection.message } }, { ...rejection.headers, ...extraHeaders });
}

/** The trigger's success response with `{run_id}` filled in (inside JSON string values only). */
export function sendLaunchResponse(res: ServerResponse, response: ResponseConfig | undefined, runId: string, statusOverride?: number): void {
  const status = statusOverride ?? response?.status ?? 200;
  const headers = { 'x-hooklaunch-run-id': runId };
  if (response?.text !== undefined) {
    const text = response.text.replaceAll('{run_id}', runId);
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
    return;
  }
  sendJson(res, status, response?.json === undefined ? { run_id: runId } : fillRunId(response.json, runId), headers);
}

function fillRunId(value: unknown, runId: string): unknown {
  if (typeof value === 'string') return value.replaceAll('{run_id}', runId);
  if (Array.isArray(value)) return value.map((item) => fillRunId(item, runId));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fillRunId(item, runId)]));
  }
  return value;
}

/** A connector's answer: JSON, text, or an empty body. */
export function sendResponseSpec(res: ServerResponse, spec: ResponseSpec): void {
  if (spec.json !== undefined) return sendJson(res, spec.status, spec.json, { ...spec.headers });
  const text = spec.text ?? '';
  res.writeHead(spec.status, { ...(text && { 'content-type': 'text/plain; charset=utf-8' }), 'content-length': Buffer.byteLength(text), ...spec.headers });
  res.end(text);
}
