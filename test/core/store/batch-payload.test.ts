/**
 * A batch's payload (batch.jsonl) can always be assembled when the batch is within its bounds
 * (issue #17): a text body is re-serialized as a JSON string, in which each control character
 * becomes six (`\u0001`), so a batch of text deliveries within `max_bytes` (at most 256 MiB) may
 * assemble to more characters than one V8 string holds (buffer.constants.MAX_STRING_LENGTH, about
 * 512 Mi). Such a batch launched, but its run's payload could never be read: its code never ran.
 */
import { constants } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { assembleBatchPayload, type StoredBatchItem } from '../../../core/store/batch-payload.js';
import { MAX_BATCH_BYTES } from '../../../core/config/schema.js';
import type { BatchRecord } from '../../../core/store/store.js';

describe('assembleBatchPayload', () => {
  it('assembles a batch of text bodies whose JSON Lines pass the longest V8 string, within max_bytes', () => {
    const body = Buffer.alloc(4 * 1024 * 1024, 1); // 4 MiB of U+0001: 24 Mi characters once escaped
    const count = Math.ceil(constants.MAX_STRING_LENGTH / (body.length * 6)) + 1;
    expect(count * body.length).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    // One buffer shared by every item: only the assembled payload costs memory.
    const items: StoredBatchItem[] = Array.from({ length: count }, (_, i) => ({ position: i + 1, requestId: `r${i}`, receivedAtMs: 0, contentType: 'text/plain', payload: body }));
    const batch = { batchId: 'b', triggerId: 't', key: '', runId: 'run', openedAtMs: 0, closedAtMs: 1, closeReason: 'window' } as BatchRecord;
    const payload = assembleBatchPayload(batch, items);
    const lineBytes = body.length * 6 + 3; // the quotes and "\n"
    expect(payload.body.length).toBe(count * lineBytes);
    expect(payload.body.subarray(0, 8).toString()).toBe('"\\u0001\\');
    expect(payload.body.subarray(lineBytes - 2, lineBytes + 1).toString()).toBe('"\n"');
    expect(JSON.parse(payload.index!.toString()).items).toHaveLength(count);
  });
});
