import type { IncomingMessage } from 'node:http';
import type { RawRequest } from '../request/raw-request.js';
import { clientAddress, type ProxyTrust } from './proxy-trust.js';
import type { RequestTarget } from './request-target.js';

export type { RequestTarget } from './request-target.js';

/** `trust`: `server.trust_proxy`, whose X-Forwarded-For names the client instead of the socket's peer. */
export function toRawRequest(req: IncomingMessage, target: RequestTarget, body: Buffer, receivedAtMs: number, trust: ProxyTrust | undefined): RawRequest {
  return {
    method: req.method ?? 'GET',
    path: target.pathname,
    headers: req.headersDistinct as Record<string, string[]>,
    query: target.searchParams,
    body,
    remoteAddress: trust === undefined ? (req.socket.remoteAddress ?? '') : clientAddress(req, trust),
    receivedAtMs,
  };
}
