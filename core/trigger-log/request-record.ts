import { createHash } from 'node:crypto';
import { uuidv7 } from '../ids.js';
import type { RequestRecord } from '../store/store.js';
import type { RawRequest } from '../request/raw-request.js';

const REDACTED = '[redacted]';

export interface Redaction {
  readonly sensitiveHeaders: ReadonlySet<string>;
  readonly sensitiveQuery: ReadonlySet<string>;
}

/** What the trigger log keeps of a request: sizes, a body hash and headers, never a credential. */
export function requestRecord(triggerId: string, req: RawRequest, redaction: Redaction): RequestRecord {
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(req.headers)) {
    headers[name] = redaction.sensitiveHeaders.has(name) ? REDACTED : values.join(', ');
  }
  const query = new URLSearchParams(req.query);
  for (const key of redaction.sensitiveQuery) if (query.has(key)) query.set(key, REDACTED);
  const search = query.toString();
  return {
    requestId: uuidv7(req.receivedAtMs),
    triggerId,
    receivedAtMs: req.receivedAtMs,
    method: req.method,
    path: search ? `${req.path}?${search}` : req.path,
    remoteAddress: req.remoteAddress,
    sizeBytes: req.body.length,
    bodySha256: createHash('sha256').update(req.body).digest('hex'),
    headers,
    raw: { target: req.query.size > 0 ? `${req.path}?${req.query.toString()}` : req.path, headers: req.headers, body: req.body },
  };
}
