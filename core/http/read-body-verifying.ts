import type { IncomingMessage } from 'node:http';
import type { StreamingHmac } from '../conditions/hmac.js';
import type { Rejection } from '../reject.js';
import { createBodySpool, type BodySpool } from './body-spool.js';
import type { BudgetHold } from './inflight-budget.js';
import { declaredLength, type BodyRead } from './read-body.js';

/**
 * Bodies up to this size are held in memory while their HMAC is computed; the rest of a larger
 * body goes to a temp file until the HMAC says it is authentic. 64 KiB covers nearly every real
 * webhook (GitHub's push events are a few KiB), so only unusual bodies touch the disk.
 */
export const IN_MEMORY_UNVERIFIED_BYTES = 64 * 1024;

/** `sizeBytes`: how much of the body was read before it was refused (for the trigger log). */
export type VerifiedBodyRead = BodyRead | { ok: false; reason: 'rejected'; rejection: Rejection; sizeBytes: number };

/**
 * Reads the body while feeding `hmac`, holding at most `inMemoryBytes` of it in memory until the
 * last chunk is in. A forged body is then dropped (and its spool removed) having cost
 * `inMemoryBytes` of memory, not its size. Every byte read, in memory or spooled, is reserved in
 * `hold` as it arrives, so spooled bytes count against the same in-flight budget; an authentic
 * body is read back byte for byte as received.
 */
export async function readBodyVerifying(req: IncomingMessage, maxBytes: number, hold: BudgetHold, hmac: StreamingHmac, inMemoryBytes = IN_MEMORY_UNVERIFIED_BYTES): Promise<VerifiedBodyRead> {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > maxBytes) return { ok: false, reason: 'too_large' };
  const chunks: Buffer[] = [];
  let inMemory = 0;
  let size = 0;
  let spool: BodySpool | undefined;
  try {
    try {
      // destroyOnReturn: false keeps the socket when reading stops early, so a 413 or 503 can still be sent.
      for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBytes) return { ok: false, reason: 'too_large' };
        hmac.update(chunk);
        // Spooled bytes are in flight too: the temp dir may be a tmpfs (RAM), and a flood of
        // held forged bodies must not fill it either.
        if (!hold.grow(chunk.length)) return { ok: false, reason: 'overloaded' };
        if (!spool && inMemory + chunk.length <= inMemoryBytes) {
          chunks.push(chunk);
          inMemory += chunk.length;
          continue;
        }
        spool ??= await createBodySpool();
        await spool.write(chunk);
      }
    } catch {
      return { ok: false, reason: 'aborted' };
    }
    const verdict = hmac.verdict();
    if (!verdict.ok) return { ok: false, reason: 'rejected', rejection: verdict.rejection, sizeBytes: size };
    if (!spool) return { ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) };
    // Authentic: read back into memory, still within what was reserved as it arrived.
    const rest = await spool.readAll();
    return { ok: true, body: Buffer.concat([...chunks, rest], size) };
  } finally {
    // In every path — forged, aborted, too large, overloaded, read back — the temp file goes.
    await spool?.remove();
  }
}
