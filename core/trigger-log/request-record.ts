import { uuidv7 } from '../ids.js';
import type { RawCapture, RequestRecord } from '../store/store.js';
import { bodySha256, type RawRequest } from '../request/raw-request.js';
import { redactHeaders, redactTarget, type Redaction } from './redaction.js';

/** What a record says besides the request itself. */
export interface RecordExtra {
  readonly revision?: number | undefined;
  readonly replayOf?: string | undefined;
  /** Refused before its body was read: no raw capture, and this size (read so far, or declared). */
  readonly unreadSizeBytes?: number | undefined;
}

/**
 * A request's record with its id fixed at arrival and the rest (redacted headers and query, body
 * hash, raw capture) built on first use: a rejection folded into an identical earlier one, or past
 * the log's budget, is answered with its id and never needs them — on a flood of forged requests
 * that work would be most of what each costs.
 */
export class PendingRecord {
  readonly requestId: string;
  readonly receivedAtMs: number;
  readonly remoteAddress: string;
  #record: RequestRecord | undefined;

  constructor(
    readonly triggerId: string,
    private readonly req: RawRequest,
    private readonly redaction: Redaction,
    private readonly extra: RecordExtra = {},
  ) {
    this.requestId = uuidv7(req.receivedAtMs);
    this.receivedAtMs = req.receivedAtMs;
    this.remoteAddress = req.remoteAddress;
  }

  complete(): RequestRecord {
    this.#record ??= completeRecord(this.requestId, this.triggerId, this.req, this.redaction, this.extra);
    return this.#record;
  }
}

/** What the trigger log keeps of a request: sizes, a body hash and headers, never a credential. */
function completeRecord(requestId: string, triggerId: string, req: RawRequest, redaction: Redaction, extra: RecordExtra): RequestRecord {
  const unread = extra.unreadSizeBytes !== undefined;
  return {
    requestId,
    triggerId,
    receivedAtMs: req.receivedAtMs,
    method: req.method,
    path: redactTarget(req.path, req.query, redaction),
    remoteAddress: req.remoteAddress,
    sizeBytes: unread ? extra.unreadSizeBytes! : req.body.length,
    bodySha256: bodySha256(req),
    headers: redactHeaders(req.headers, redaction),
    // Nothing to replay without a body: the raw request of one refused unread is not kept.
    ...(!unread && { raw: { target: req.query.size > 0 ? `${req.path}?${req.query.toString()}` : req.path, headers: req.headers, body: req.body } }),
    ...(extra.replayOf !== undefined && { replayOf: extra.replayOf }),
    ...(extra.revision !== undefined && { revision: extra.revision }),
  };
}

/** How much of an unauthenticated request the trigger log keeps. */
export interface CaptureLimits {
  /** Leading bytes of the body kept (replay needs the whole body, so a cut one cannot be replayed). */
  readonly bodySampleBytes: number;
  /** Bytes of header names and values kept, each for the logged and the raw copy. */
  readonly headerBytes: number;
}

/** A header value or path longer than this is cut: it is shown for diagnosis, not replayed. */
const MAX_TEXT = 1024;

/**
 * The record of an unauthenticated rejection cut to a bounded size: anyone who can reach the
 * server can send these, so each may cost only a body sample and capped headers. The bytes it
 * costs are counted against the trigger log's budget for unauthenticated requests.
 */
export function boundedRecord(record: RequestRecord & { readonly message?: string }, limits: CaptureLimits): RequestRecord {
  const headers = capHeaders(Object.entries(record.headers).map(([name, value]) => [name, [value]]), limits.headerBytes);
  const logged = Object.fromEntries(headers.kept.map(([name, values]) => [name, values[0]!]));
  let raw: RawCapture | undefined;
  if (record.raw) {
    const rawHeaders = capHeaders(Object.entries(record.raw.headers), limits.headerBytes);
    const body = record.raw.body && record.raw.body.length > limits.bodySampleBytes ? record.raw.body.subarray(0, limits.bodySampleBytes) : record.raw.body;
    raw = {
      target: cut(record.raw.target),
      headers: Object.fromEntries(rawHeaders.kept),
      body,
      truncated: rawHeaders.cut || record.raw.target.length > MAX_TEXT || (body?.length ?? 0) < (record.raw.body?.length ?? 0),
    };
  }
  const path = cut(record.path);
  const bytes = (text: string): number => Buffer.byteLength(text);
  const cost =
    bytes(path) +
    bytes(JSON.stringify(logged)) +
    (raw ? bytes(raw.target) + bytes(JSON.stringify(raw.headers)) + (raw.body?.length ?? 0) : 0) +
    bytes(record.message ?? '') +
    // The trigger id sits in the row and two indexes, the request id in the row, an index and the
    // raw copy; the rest is fixed columns, row headers and b-tree slack (measured on SQLite).
    3 * bytes(record.triggerId) +
    3 * bytes(record.requestId) +
    400;
  return { ...record, path, headers: logged, raw, unauthenticatedBytes: cost };
}

function cut(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}… (${text.length} characters)` : text;
}

function capHeaders(entries: Array<[string, readonly string[]]>, maxBytes: number): { kept: Array<[string, string[]]>; cut: boolean } {
  const kept: Array<[string, string[]]> = [];
  let used = 0;
  let wasCut = false;
  for (const [name, values] of entries) {
    const cutValues = values.map(cut);
    if (cutValues.some((v, i) => v !== values[i])) wasCut = true;
    const size = Buffer.byteLength(name) + cutValues.reduce((sum, v) => sum + Buffer.byteLength(v), 0);
    if (used + size > maxBytes) {
      wasCut = true;
      continue;
    }
    used += size;
    kept.push([name, cutValues]);
  }
  return { kept, cut: wasCut };
}
