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
  return new Promise((resolve) => readBodyThen(req, maxBytes, hold, resolve));
}

/**
 * `readBody` telling `done` once, from the stream's own events: the launch route answers a
 * refused request in the same turn its body ends, without a promise and its ticks (issue #14).
 * `done` may be told before this returns (a declared size already refused).
 */
export function readBodyThen(req: IncomingMessage, maxBytes: number, hold: BudgetHold, done: (read: BodyRead) => void): void {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > maxBytes) return done(TOO_LARGE);
  if (declared !== undefined && !hold.grow(declared)) return done(OVERLOADED);
  // Listeners written inline, none named: this runs for every request, and under tsx (what
  // `npm run bench` runs) a `const f = () => …` made per request also pays a `__name` call
  // (issue #14). The data listener stays attached once done and ignores what comes after.
  const chunks: Buffer[] = [];
  let size = 0;
  let told = false;
  req.on('data', (chunk: Buffer) => {
    if (told) return;
    size += chunk.length;
    if (size > maxBytes || (declared === undefined && !hold.grow(chunk.length))) {
      told = true;
      req.pause();
      done(size > maxBytes ? TOO_LARGE : OVERLOADED);
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (told) return;
    told = true;
    done({ ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
  });
  // Told once: after `end` (or a refusal) these change nothing.
  req.on('error', () => {
    if (told) return;
    told = true;
    done(ABORTED);
  });
  req.on('close', () => {
    if (told) return;
    told = true;
    done(ABORTED);
  });
}

const TOO_LARGE: BodyRead = { ok: false, reason: 'too_large' };
const OVERLOADED: BodyRead = { ok: false, reason: 'overloaded' };
const ABORTED: BodyRead = { ok: false, reason: 'aborted' };

/** The Content-Length header as a number; undefined for chunked bodies (Node has already refused malformed values). */
export function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  const declared = Number(header);
  return Number.isFinite(declared) ? declared : undefined;
}
