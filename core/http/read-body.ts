import type { IncomingMessage } from 'node:http';
import type { BudgetHold } from './inflight-budget.js';

export type BodyRead = { ok: true; body: Buffer } | { ok: false; reason: 'too_large' | 'aborted' | 'overloaded' };

/**
 * Buffers the raw body up to `maxBytes`; a declared or actual size above it stops reading at
 * once, so an oversized upload costs at most `maxBytes` of memory. Every byte held is reserved in
 * `hold` first — the declared Content-Length up front, or each chunk of a chunked body as it
 * comes — and reading stops (`overloaded`) when the reservation does not fit. The caller
 * releases `hold`.
 */
export function readBody(req: IncomingMessage, maxBytes: number, hold: BudgetHold): Promise<BodyRead> {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > maxBytes) return Promise.resolve({ ok: false, reason: 'too_large' });
  if (declared !== undefined && !hold.grow(declared)) return Promise.resolve({ ok: false, reason: 'overloaded' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyRead): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        req.pause();
        finish({ ok: false, reason: 'too_large' });
        return;
      }
      if (declared === undefined && !hold.grow(chunk.length)) {
        req.pause();
        finish({ ok: false, reason: 'overloaded' });
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => finish({ ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) }));
    req.on('error', () => finish({ ok: false, reason: 'aborted' }));
    req.on('close', () => finish({ ok: false, reason: 'aborted' }));
  });
}

/** The Content-Length header as a number; undefined for chunked bodies (Node has already refused malformed values). */
export function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  const declared = Number(header);
  return Number.isFinite(declared) ? declared : undefined;
}
