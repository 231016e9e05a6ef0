/**
 * What a batch's run hands its actions (issue #17): `batch.jsonl`, one delivery per line in arrival
 * order, and `index.json` describing each line. One file rather than one per delivery: a Valohai
 * input of 500 files is 500 downloads, the line order is the arrival order, and it streams.
 */
import { createHash } from 'node:crypto';
import type { BatchRecord, RunPayload } from './store.js';
import { BATCH_CONTENT_TYPE } from './accept-batch.js';

export const BATCH_PAYLOAD_FILE = 'batch.jsonl';
export const BATCH_INDEX_FILE = 'index.json';

export interface StoredBatchItem {
  readonly position: number;
  readonly requestId: string;
  readonly receivedAtMs: number;
  readonly contentType: string;
  readonly payload: Buffer;
}

/** The run payload of a batch: every item on one line (a JSON body re-serialized, any other body as a JSON string of its text). */
export function assembleBatchPayload(batch: BatchRecord, items: readonly StoredBatchItem[]): RunPayload {
  // Bytes per line, not one joined string: a text body re-serialized as a JSON string can grow
  // sixfold (a control character becomes \u00XX), and a batch within max_bytes would then pass
  // V8's string limit (~512 Mi characters) and could never be assembled, so never launch its code.
  const lines: Buffer[] = [];
  const index: object[] = [];
  for (const item of items) {
    lines.push(Buffer.from(`${JSON.stringify(lineValue(item.payload))}\n`));
    index.push({
      position: item.position,
      request_id: item.requestId,
      received_at: new Date(item.receivedAtMs).toISOString(),
      content_type: item.contentType,
      sha256: createHash('sha256').update(item.payload).digest('hex'),
      size_bytes: item.payload.length,
    });
  }
  const described = {
    // Not the trigger id: it is the secret part of the webhook URL, and this file goes to the launched code (and Valohai).
    batch_id: batch.batchId,
    key: batch.key,
    run_id: batch.runId,
    opened_at: new Date(batch.openedAtMs).toISOString(),
    closed_at: batch.closedAtMs === undefined ? null : new Date(batch.closedAtMs).toISOString(),
    close_reason: batch.closeReason ?? null,
    items: index,
  };
  return { body: Buffer.concat(lines), contentType: BATCH_CONTENT_TYPE, index: Buffer.from(`${JSON.stringify(described, null, 2)}\n`) };
}

function lineValue(payload: Buffer): unknown {
  const text = payload.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
