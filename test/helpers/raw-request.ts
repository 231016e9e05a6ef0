import type { RawRequest } from '../../core/request/raw-request.js';

export interface RequestParts {
  readonly headers?: Record<string, string | string[]>;
  readonly body?: string | Buffer;
  readonly query?: Record<string, string>;
  readonly method?: string;
}

/** A RawRequest as the HTTP layer would build it (lower-case header names, every value kept). */
export function rawRequest(parts: RequestParts = {}): RawRequest {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(parts.headers ?? {})) headers[name.toLowerCase()] = Array.isArray(value) ? value : [value];
  return {
    method: parts.method ?? 'POST',
    path: '/api/v0/launch/test/',
    headers,
    query: new URLSearchParams(parts.query ?? {}),
    body: Buffer.isBuffer(parts.body) ? parts.body : Buffer.from(parts.body ?? '', 'utf8'),
    remoteAddress: '127.0.0.1',
    receivedAtMs: 0,
  };
}
