import type { ServerResponse } from 'node:http';
import type { ResponseSpec } from '../connector.js';
import type { Rejection } from '../reject.js';
import { rejectionAnswer } from '../triggers/answers.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** `{"error": {"code", "message"}}` with the rejection's status and headers. */
export function sendRejection(res: ServerResponse, rejection: Rejection, extraHeaders: Record<string, string> = {}): void {
  const answer = rejectionAnswer(rejection);
  sendResponseSpec(res, { ...answer, headers: { ...answer.headers, ...extraHeaders } });
}

/** A connector's answer: JSON, text, or an empty body. */
export function sendResponseSpec(res: ServerResponse, spec: ResponseSpec): void {
  if (spec.json !== undefined) return sendJson(res, spec.status, spec.json, { ...spec.headers });
  const text = spec.text ?? '';
  res.writeHead(spec.status, { ...(text && { 'content-type': 'text/plain; charset=utf-8' }), 'content-length': Buffer.byteLength(text), ...spec.headers });
  res.end(text);
}
