import type { IncomingMessage } from 'node:http';
import type { RawRequest } from '../request/raw-request.js';
import type { RequestTarget } from './request-target.js';

export type { RequestTarget } from './request-target.js';

export function toRawRequest(req: IncomingMessage, target: RequestTarget, body: Buffer, receivedAtMs: number): RawRequest {
  return {
    method: req.method ?? 'GET',
    path: target.pathname,
    headers: req.headersDistinct as Record<string, string[]>,
    query: target.searchParams,
    body,
    remoteAddress: req.socket.remoteAddress ?? '',
    receivedAtMs,
  };
}
