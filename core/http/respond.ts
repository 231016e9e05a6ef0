import type { ServerResponse } from 'node:http';
import type { ResponseSpec } from '../connector.js';
import type { Rejection } from '../reject.js';
import { keptAnswerBody, rejectionAnswer } from '../triggers/answers.js';

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

/** What went out on the wire, for the trigger log. */
export interface SentResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * A connector's answer: JSON, text, or an empty body. Returns what was sent. `requestId` goes out
 * as X-Request-Id; `close` asks the client to close the connection (a body left unread).
 */
export function sendResponseSpec(res: ServerResponse, spec: ResponseSpec, requestId?: string, close = false): SentResponse {
  const kept = keptAnswerBody(spec);
  const body = kept ? kept.body : spec.json !== undefined ? JSON.stringify(spec.json) : (spec.text ?? '');
  const headers: Record<string, string> = {};
  if (spec.json !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
  else if (body) headers['content-type'] = 'text/plain; charset=utf-8';
  headers['content-length'] = String(kept ? kept.bytes : Buffer.byteLength(body));
  if (spec.headers) Object.assign(headers, spec.headers);
  if (close) headers.connection = 'close';
  if (requestId !== undefined) headers['x-request-id'] = requestId;
  res.writeHead(spec.status, headers);
  res.end(body);
  return { status: spec.status, headers, body };
}
