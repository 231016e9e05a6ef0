/**
 * A batch's payload (batch.jsonl + index.json, issue #17) as the launched code reads it: one line
 * per delivery in position order — a JSON body re-serialized on one line, any other body as a JSON
 * string of its text (control characters escaped, so a line never breaks) — and index.json
 * describing each line.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { assembleBatchPayload, type StoredBatchItem } from '../../../core/store/batch-payload.js';
import type { BatchRecord } from '../../../core/store/store.js';

describe('assembleBatchPayload', () => {
  it('writes one line per delivery, whatever its body, and an index entry per line', () => {
    const bodies = [Buffer.from('{\n  "a": 1,\n  "nested": {"b": [1, 2]}\n}'), Buffer.from('line one\nline two\u0001\u2028'), Buffer.from('"a json string"'), Buffer.from([0xff, 0xfe, 0x41])];
    const items: StoredBatchItem[] = bodies.map((payload, i) => ({ position: i + 1, requestId: `r${i + 1}`, receivedAtMs: i * 1000, contentType: i === 0 ? 'application/json' : 'text/plain', payload }));
    const batch = { batchId: 'b', triggerId: 't', key: 'k', runId: 'run', openedAtMs: 0, closedAtMs: 5000, closeReason: 'window' } as BatchRecord;
    const payload = assembleBatchPayload(batch, items);
    const text = payload.body.toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([{ a: 1, nested: { b: [1, 2] } }, 'line one\nline two\u0001\u2028', 'a json string', '\ufffd\ufffdA']);
    const index = JSON.parse(payload.index!.toString()) as { items: Array<{ position: number; request_id: string; sha256: string; size_bytes: number }>; close_reason: string };
    expect(index.close_reason).toBe('window');
    expect(index.items.map((i) => [i.position, i.request_id, i.size_bytes, i.sha256])).toEqual(bodies.map((b, i) => [i + 1, `r${i + 1}`, b.length, createHash('sha256').update(b).digest('hex')]));
  });
});
