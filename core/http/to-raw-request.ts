import type { IncomingMessage } from 'node:http';
import type { RawRequest } from '../request/raw-request.js';

export function toRawRequest(req: IncomingMessage, url: URL, body: Buffer, receivedAtMs: number): RawRequest {
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    headers: req.headersDistinct as Record<string, string[]>,
    query: url.searchParams,
    body,
    remoteAddress: req.socket.remoteAddress ?? '',
    receivedAtMs,
  };
}
